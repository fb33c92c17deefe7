"""URL converters shared by every blueprint."""

from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1  # the largest value of an INTEGER id column on PostgreSQL


class IdConverter(IntegerConverter):
    """`<int:...>` bounded to what an id column holds: a larger number is a 404, not a
    database overflow error."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def init_app(app) -> None:
    app.url_map.converters["int"] = IdConverter
