"""The API described in OpenAPI 3.1, so the help desk's ticketing system can integrate."""

from __future__ import annotations

from typing import Any

_ERROR = {
    "description": "an error",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}


def _action(summary: str, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "summary": summary,
        "parameters": [{"$ref": "#/components/parameters/Reference"}],
        "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
        "responses": {
            "200": {
                "description": "done",
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/ActionResult"}}
                },
            },
            "400": _ERROR,
            "401": _ERROR,
            "403": _ERROR,
            "404": _ERROR,
            "409": _ERROR,
            "422": _ERROR,
        },
    }


def openapi_document(base_url: str) -> dict[str, Any]:
    responder: dict[str, Any] = {"type": "string", "example": "Pat Lee"}
    acting: dict[str, Any] = {
        "type": "object",
        "required": ["responder"],
        "properties": {"responder": responder},
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "After-hours support line", "version": "1"},
        "servers": [{"url": f"{base_url}/api"}],
        "security": [{"bearer": []}],
        "paths": {
            "/incidents": {
                "get": {
                    "summary": "List incidents, newest first",
                    "parameters": [
                        {
                            "name": "state",
                            "in": "query",
                            "schema": {
                                "type": "string",
                                "enum": ["open", "acknowledged", "resolved", "closed", "cancelled"],
                            },
                        },
                        {
                            "name": "limit",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 1, "maximum": 200},
                        },
                        {
                            "name": "offset",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 0},
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "incidents",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "properties": {
                                            "incidents": {
                                                "type": "array",
                                                "items": {
                                                    "$ref": "#/components/schemas/IncidentSummary"
                                                },
                                            }
                                        },
                                    }
                                }
                            },
                        },
                        "400": _ERROR,
                        "401": _ERROR,
                    },
                },
                "post": {
                    "summary": "Open an incident (pages the on-call admin)",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/NewIncident"}
                            }
                        },
                    },
                    "responses": {
                        "201": {
                            "description": "opened",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/ActionResult"}
                                }
                            },
                        },
                        "400": _ERROR,
                        "401": _ERROR,
                        "422": _ERROR,
                    },
                },
            },
            "/incidents/{reference}": {
                "get": {
                    "summary": "One incident with reports, pages, summary and timeline",
                    "parameters": [{"$ref": "#/components/parameters/Reference"}],
                    "responses": {
                        "200": {
                            "description": "the incident",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        },
                        "401": _ERROR,
                        "404": _ERROR,
                    },
                },
            },
            "/incidents/{reference}/acknowledge": {"post": _action("Acknowledge", acting)},
            "/incidents/{reference}/resolve": {
                "post": _action(
                    "Resolve",
                    {**acting, "properties": {**acting["properties"], "note": {"type": "string"}}},
                )
            },
            "/incidents/{reference}/close": {
                "post": _action(
                    "Close once the caller confirmed",
                    {
                        **acting,
                        "properties": {
                            **acting["properties"],
                            "confirmed_by_phone": {"type": "boolean"},
                            "caller_never_replied": {
                                "type": "boolean",
                                "description": "close without the caller's confirmation, "
                                "allowed once both reminders went unanswered",
                            },
                        },
                    },
                )
            },
            "/incidents/{reference}/notes": {
                "post": _action(
                    "Add a note to the timeline",
                    {
                        "type": "object",
                        "required": ["text"],
                        "properties": {"text": {"type": "string"}, "author": {"type": "string"}},
                    },
                )
            },
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "parameters": {
                "Reference": {
                    "name": "reference",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "example": "AH-1042"},
                }
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "properties": {"error": {"type": "string"}, "fields": {"type": "object"}},
                },
                "ActionResult": {
                    "type": "object",
                    "properties": {"message": {"type": "string"}, "incident": {"type": "object"}},
                },
                "IncidentSummary": {
                    "type": "object",
                    "properties": {
                        "reference": {"type": "string"},
                        "state": {"type": "string"},
                        "priority": {"type": "integer"},
                        "source": {"type": "string"},
                        "ticket": {
                            "type": ["object", "null"],
                            "description": "the incident's ticket in the ticketing system",
                            "properties": {
                                "id": {"type": "string"},
                                "url": {"type": "string"},
                            },
                        },
                    },
                },
                "NewIncident": {
                    "type": "object",
                    "required": ["description", "impact", "callback_number"],
                    "properties": {
                        "service": {"type": "string", "description": "a catalog slug"},
                        "service_text": {"type": "string", "description": "if not in the catalog"},
                        "description": {"type": "string"},
                        "started": {"type": "string", "description": "when it began"},
                        "last_worked": {"type": "string", "description": "when it last worked"},
                        "email": {"type": "string", "format": "email"},
                        "responsible_party": {
                            "type": "string",
                            "description": "who will test the fix with the administrator",
                        },
                        "impact": {
                            "type": "string",
                            "enum": ["everyone", "degraded", "one-person", "other"],
                        },
                        "callback_number": {"type": "string", "example": "+13195550142"},
                    },
                },
            },
        },
    }
