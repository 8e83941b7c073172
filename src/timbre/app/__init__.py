"""``timbre app``: a token-guarded local web app over a ``timbre.workspace.Workspace``.

``create_app(workspace, token)`` (``timbre.app.server``) builds the FastAPI application;
``serve`` (``timbre.app.run``) binds 127.0.0.1 and prints the URL with its token.
"""
