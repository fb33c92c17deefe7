"""Programme figures: a public ecosystem page, GET /api/v1/stats and staff dashboards with
CSV and XLSX downloads (`figures.py` holds one aggregate query per figure)."""

import os

# What the programme set out to reach; PROGRAMME_TARGET_<KEY> in the environment overrides.
DEFAULT_TARGETS = {"firms": 200, "startups": 2000, "matches": 1000}


def init_app(app) -> None:
    """Register the pages and the API route (after the API itself is set up)."""
    from ..api import api
    from ..extensions import csrf
    from .api import blp
    from .views import bp

    app.config.setdefault("PROGRAMME_TARGETS", {
        key: int(os.environ.get(f"PROGRAMME_TARGET_{key.upper()}", default))
        for key, default in DEFAULT_TARGETS.items()})
    app.register_blueprint(bp)
    csrf.exempt(blp)
    api.register_blueprint(blp)
