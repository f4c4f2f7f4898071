"""The churn and value engine: plain modules, callable without Django.

- ``table``: reading CSV/Parquet tables as Arrow, whole or in bounded batches;
- ``features``: column type inference and preprocessing into a numeric matrix;
- ``training``: candidate models, repeated stratified cross-validation, calibration;
- ``model``: the fitted model at scoring time (raw score, contributions, probability, bands);
- ``artefact``: versioned artefact folders and the checks before loading one;
- ``metrics``: ROC AUC, PR AUC, top-decile lift, Brier, ECE;
- ``scorer`` / ``spark``: the chunk scorer and its local and Spark engines;
- ``sbg``: the shifted-beta-geometric retention model and lifetime value;
- ``card``: the HTML model card.
"""
