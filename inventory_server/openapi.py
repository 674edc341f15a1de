"""GET /api/v1/openapi.json: the OpenAPI 3.1 description of the API."""

from functools import cache

from flask import Blueprint, jsonify

from agent.schema import json_schema
from inventory_server import __version__

bp = Blueprint("openapi", __name__, url_prefix="/api/v1")

_ERR = {"$ref": "#/components/responses/Error"}
_USER = [{"userToken": []}]


def _list_params(*names: str) -> list[dict]:
    return [
        {"name": n, "in": "query", "required": False, "schema": {"type": "string"}} for n in names
    ]


PATHS: dict = {
    "/api/v1/enroll": {
        "post": {
            "summary": "Enroll a host with an enrollment secret; returns its token once.",
            "security": [],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/EnrollRequest"}}
                },
            },
            "responses": {
                "201": {
                    "description": "Enrolled",
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/EnrollResponse"}
                        }
                    },
                },
                "400": _ERR,
                "403": _ERR,
                "413": _ERR,
                "422": _ERR,
            },
        }
    },
    "/api/v1/reports": {
        "post": {
            "summary": "Send a full or delta report (gzip accepted) with the host token.",
            "security": [{"hostToken": []}],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/Report"}}
                },
            },
            "responses": {
                "200": {
                    "description": "Accepted",
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/ReportResponse"}
                        }
                    },
                },
                "400": _ERR,
                "401": _ERR,
                "413": _ERR,
                "415": _ERR,
                "422": _ERR,
            },
        }
    },
    "/api/v1/hosts": {
        "get": {
            "summary": "List hosts in the caller's scope (format=csv for CSV).",
            "security": _USER,
            "parameters": _list_params(
                "unit",
                "subtree",
                "os",
                "role",
                "q",
                "ip",
                "mac",
                "serial",
                "software",
                "version_lt",
                "version_le",
                "version_gt",
                "version_ge",
                "version_eq",
                "not_seen_days",
                "sort",
                "page",
                "per_page",
                "format",
            ),
            "responses": {"200": {"description": "A page of hosts"}, "400": _ERR, "401": _ERR},
        }
    },
    "/api/v1/hosts/duplicates": {
        "get": {
            "summary": "Groups of hosts sharing a serial, DMI UUID or physical MAC address.",
            "security": _USER,
            "responses": {"200": {"description": "Duplicate groups"}, "401": _ERR},
        }
    },
    "/api/v1/hosts/{host_id}/merge": {
        "post": {
            "summary": "Merge the host duplicate_id into this host (admin, IT officer in scope).",
            "security": _USER,
            "parameters": [
                {"name": "host_id", "in": "path", "required": True, "schema": {"type": "integer"}}
            ],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["duplicate_id"],
                            "properties": {"duplicate_id": {"type": "integer"}},
                        }
                    }
                },
            },
            "responses": {
                "200": {"description": "The surviving host"},
                "401": _ERR,
                "403": _ERR,
                "404": _ERR,
                "409": _ERR,
                "422": _ERR,
            },
        }
    },
    "/api/v1/hosts/{host_id}": {
        "get": {
            "summary": "One host: hardware, network, OS and posture.",
            "security": _USER,
            "parameters": [
                {"name": "host_id", "in": "path", "required": True, "schema": {"type": "integer"}}
            ],
            "responses": {"200": {"description": "The host"}, "401": _ERR, "404": _ERR},
        }
    },
    "/api/v1/hosts/{host_id}/software": {
        "get": {
            "summary": "Installed software of one host.",
            "security": _USER,
            "parameters": [
                {"name": "host_id", "in": "path", "required": True, "schema": {"type": "integer"}},
                *_list_params("q"),
            ],
            "responses": {"200": {"description": "Software"}, "401": _ERR, "404": _ERR},
        }
    },
    "/api/v1/hosts/{host_id}/events": {
        "get": {
            "summary": "Change history of one host, newest first.",
            "security": _USER,
            "parameters": [
                {"name": "host_id", "in": "path", "required": True, "schema": {"type": "integer"}},
                *_list_params("limit"),
            ],
            "responses": {"200": {"description": "Events"}, "401": _ERR, "404": _ERR},
        }
    },
    "/api/v1/ansible/inventory": {
        "get": {
            "summary": "Ansible --list inventory with groups by unit, OS, role and failing check.",
            "security": _USER,
            "responses": {"200": {"description": "Inventory"}, "401": _ERR},
        }
    },
    "/api/v1/openapi.json": {
        "get": {
            "summary": "This document.",
            "security": [],
            "responses": {"200": {"description": "OpenAPI document"}},
        }
    },
}
"""Paths of the API; a test fails when a route under /api/v1 is missing here."""


@cache
def document() -> dict:
    """Return the OpenAPI document."""
    schemas = dict(json_schema()["$defs"])
    schemas["Error"] = {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "field": {"type": "string"},
                },
            }
        },
    }
    import json

    text = json.dumps(schemas).replace("#/$defs/", "#/components/schemas/")
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Kiemke API",
            "version": __version__,
            "description": "Inventory, compliance and configuration for state agencies.",
        },
        "paths": PATHS,
        "components": {
            "schemas": json.loads(text),
            "responses": {
                "Error": {
                    "description": "Error",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                }
            },
            "securitySchemes": {
                "userToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A user API token (kiemke-server token create).",
                },
                "hostToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "The per-host token returned by /enroll.",
                },
            },
        },
        "security": _USER,
    }


@bp.get("/openapi.json")
def openapi_json():
    """Serve the OpenAPI document."""
    return jsonify(document())
