"""A local implementation of the Databricks serving-endpoints REST API.

It is two things at once: the embedded ``local`` registry (the app runs in-process over a
SQLite file through ``httpx.ASGITransport``) and a real HTTP server (``reconciler emulator
serve``) for the official Databricks clients. It stands for the real service, so it
validates requests on its own and shares nothing with the reconciler but ``reconciler.model``.

Modules, in the order a request meets them: ``middleware`` (request log, latency, faults,
dropped connections, auth), ``routes`` (HTTP in and out), ``validation`` and ``schemas``
(the server-side 400s), ``endpoints`` (defaults, secrets, the update state machine),
``views`` (what GET and list show), ``invocations`` (query answers), ``store`` (SQLite).
"""
