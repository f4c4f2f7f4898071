"""The Spark engine gives the same numbers as the local one (PySpark, ``local[*]``)."""

from __future__ import annotations

import os
import shutil

import numpy as np
import pyarrow.parquet as pq
import pytest

from tests.scoring.conftest import churn_rows, run_json, write_csv

pytestmark = [
    pytest.mark.skipif(
        shutil.which("java") is None and not os.environ.get("JAVA_HOME"),
        reason="Spark needs Java: no java on PATH and no JAVA_HOME",
    ),
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning"),
]


FAST_START = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:CICompilerCount=1"


@pytest.fixture(scope="module", autouse=True)
def spark_stopped_afterwards():
    """One quick-starting local Spark for the module, stopped at the end."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("WANLIU_SPARK_JAVA_OPTIONS", FAST_START)
        yield
    from pyspark.sql import SparkSession

    session = SparkSession.getActiveSession()
    if session is not None:
        session.stop()


@pytest.mark.parametrize("model", ["lgb", "bands"])
def test_spark_and_local_agree(trained, roots, tmp_path, model):
    if model == "lgb":
        trained("lgb", "--algorithm", "lightgbm")
    else:
        trained("bands", "--bands", "0.2,0.5", "--algorithm", "logistic")
    table = write_csv(tmp_path / "small.csv", churn_rows(300, seed=11))
    local, spark = tmp_path / "local.parquet", tmp_path / "spark.parquet"
    run_json(
        "churn",
        "score",
        "--model",
        model,
        "--table",
        str(table),
        "--out",
        str(local),
        "--reasons",
        "3",
        "--json",
    )
    summary = run_json(
        "churn",
        "score",
        "--model",
        model,
        "--table",
        str(table),
        "--out",
        str(spark),
        "--engine",
        "spark",
        "--spark-master",
        "local[2]",
        "--reasons",
        "3",
        "--batch-rows",
        "128",
        "--json",
    )
    assert summary["rows"] == 300 and summary["engine"] == "spark"
    mine = pq.read_table(local).to_pandas().sort_values("id").reset_index(drop=True)
    theirs = pq.read_table(spark).to_pandas().sort_values("id").reset_index(drop=True)
    assert mine["id"].tolist() == theirs["id"].tolist() == list(range(1, 301))
    for column in mine.columns:
        if mine[column].dtype.kind == "f":
            np.testing.assert_allclose(theirs[column], mine[column], atol=1e-6, rtol=0)
        else:
            assert mine[column].tolist() == theirs[column].tolist(), column
