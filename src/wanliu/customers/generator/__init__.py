"""The generated operator (`wanliu generate`): a realistic Chinese telecom operator with
customers, lines, bills, usage, contacts, competitor promotions and churn with known
causes, deterministic for a seed."""
