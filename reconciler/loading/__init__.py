"""YAML files, the project file and interpolation -> endpoint models with source positions.

The only package that imports ``yaml``. Public names: ``read_project_parts``, ``Project``,
``LoadedEndpoint``, ``load_documents``, ``SourceLocation``, ``resolve_env_refs``. It reports
only its own problems (``model.load_rules``); ``reconciler.api.validating.load_project`` adds
the semantic rules.
"""
