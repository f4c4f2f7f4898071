"""Writes of the churn and value engine: the model registry, training on the operator
database, and the monthly scoring runs."""

from wanliu.scoring.services.registry import churn_model_promote

__all__ = ["churn_model_promote"]
