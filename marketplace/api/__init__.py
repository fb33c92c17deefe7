"""The JSON API under /api/v1: flask-smorest generates its OpenAPI 3 document from the code.

Authentication is a personal access token sent as `Authorization: Bearer <token>`; session
cookies never authorise an API call, so the API needs no CSRF token.
"""

from flask import request
from flask_smorest import Api
from flask_smorest.spec.plugins import integerconverter2paramschema

from .. import domain_events
from ..extensions import csrf
from ..routing import IdConverter
from .auth import authenticate_first
from .schemas import ErrorSchema, SchemaRulesPlugin
from .tokens import revoke_all


class MarketplaceApi(Api):
    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self):
        """Errors are answered by marketplace.errors in the shared {"error": ...} shape."""


api = MarketplaceApi(spec_kwargs={
    "extra_plugins": [SchemaRulesPlugin()],
    "info": {"description": "Tech Trade-On: technology needs, offerings, matches and deals."},
})

API_CONFIG = {
    "API_TITLE": "Tech Trade-On API",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
}


def init_app(app, blueprints=()) -> None:
    for key, value in API_CONFIG.items():
        app.config.setdefault(key, value)
    api.init_app(app)
    api.register_converter(IdConverter, integerconverter2paramschema)
    api.spec.components.security_scheme(
        "bearer", {"type": "http", "scheme": "bearer",
                   "description": "A personal access token from your profile page."})
    names = {blueprint.name for blueprint in blueprints}

    def authenticate_api_requests():
        if request.blueprint in names:
            authenticate_first()

    # First of all hooks: it reads only the header, and the checks of the body come after it.
    app.before_request_funcs.setdefault(None, []).insert(0, authenticate_api_requests)
    # Signed out everywhere (a password reset, staff): the account's tokens end too.
    domain_events.signed_out_everywhere.connect(revoke_all, weak=False)
    for blueprint in blueprints:
        csrf.exempt(blueprint)
        api.register_blueprint(blueprint)
