"""`{% cache key %}...{% endcache %}`: a piece of a template rendered once per key and process.

The key must name everything the piece shows (a listing card's key holds the very fields it
prints), so a hit is the same HTML rendering it again would give, never a stale one. Each
process keeps at most `LIMIT` pieces and starts afresh when full.
"""

import threading

from jinja2 import nodes
from jinja2.ext import Extension

LIMIT = 20_000


class FragmentCache(Extension):
    tags = {"cache"}

    def __init__(self, environment):
        super().__init__(environment)
        environment.extend(fragment_cache={}, fragment_cache_lock=threading.Lock())

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        key = parser.parse_expression()
        body = parser.parse_statements(("name:endcache",), drop_needle=True)
        return nodes.CallBlock(self.call_method("_render", [key]), [], [], body).set_lineno(
            lineno)

    def _render(self, key, caller):
        cache = self.environment.fragment_cache
        html = cache.get(key)
        if html is None:
            html = caller()
            with self.environment.fragment_cache_lock:
                if len(cache) >= LIMIT:
                    cache.clear()
                cache[key] = html
        return html
