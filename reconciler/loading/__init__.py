"""YAML files, the project file and interpolation -> endpoint models with source positions.

The only package that imports ``yaml``. Public names: ``load_project``, ``Project``,
``LoadedEndpoint``, ``load_documents``, ``SourceLocation``, ``resolve_env_refs``.
"""
