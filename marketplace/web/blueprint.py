"""The pages' blueprint: a plain Flask Blueprint, so pages stay out of /api/openapi.json."""

from flask import Blueprint

bp = Blueprint(
    "web",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/assets",
)
