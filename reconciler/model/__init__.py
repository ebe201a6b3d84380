"""Pydantic models of manifests, the project file and the wire format. No I/O."""
