"""Programme figures: a public ecosystem page, GET /api/v1/stats and staff dashboards with
CSV and XLSX downloads (`figures.py` holds one aggregate query per figure)."""


def init_app(app) -> None:
    """Register the pages (the API route is registered with the rest of the API)."""
    from .views import bp

    app.register_blueprint(bp)
