"""What a process loads before it takes work: gunicorn's master and an RQ worker call this."""

from marketplace import korean
from marketplace.warmup import warm_up


def test_warm_up_builds_the_analyser_and_compiles_every_template(app):
    app.jinja_env.cache.clear()
    assert warm_up(app, matching=False) >= 0
    assert korean.analyser.cache_info().currsize == 1
    names = app.jinja_env.list_templates(filter_func=lambda n: n.endswith(".html"))
    cached = {key[1] for key in app.jinja_env.cache}
    assert set(names) <= cached
