"""The staff console's blueprint; each page lives in its own module of this package."""

from flask import Blueprint

bp = Blueprint("staff", __name__, template_folder="templates",
               url_prefix="/<lang:lang_code>/staff")

PER_PAGE = 50
