"""serving-reconciler: Databricks Model Serving endpoints kept in Git (validate, plan, apply)."""

__version__ = "0.1.0"
