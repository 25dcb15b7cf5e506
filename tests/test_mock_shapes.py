"""Shapes of real specs the corpus contract run (bench/corpus.py --contract) found the
mock or the runtime getting wrong: path templates that carry a query or a fragment,
bracketed query names, nested deepObject, one-valued form arrays, regex patterns."""

from __future__ import annotations

import json
import random
import re
from typing import Any

import httpx

from apigen import build
from apigen.mockspec import IGNORED_HEADERS, mock_spec
from apigen.runtime import Endpoint, ParamStyle, ResponseType, SyncAPIClient
from apigen.runtime.mock import MockAPI
from apigen.runtime.schema_values import Schemas, _for_pattern

OK = {"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "object"}}}}}


def _mock(paths: dict[str, Any], **extra: Any) -> MockAPI:
    return MockAPI(mock_spec({"openapi": "3.0.3", "info": {}, "paths": paths, **extra}))


def test_templates_with_a_query_or_fragment_are_sent_and_routed() -> None:
    # Flickr: "/rest?method=flickr.x"; AWS: "/#X-Amz-Target=Service.Action" + that header
    target = {
        "name": "X-Amz-Target",
        "in": "header",
        "required": True,
        "schema": {"type": "string"},
    }
    mock = _mock(
        {
            "/rest?method=flickr.photos.get": {
                "get": {"operationId": "photosGet", "responses": OK}
            },
            "/rest?method=flickr.people.get": {
                "get": {
                    "operationId": "peopleGet",
                    "responses": OK,
                    "parameters": [
                        {"name": "user_id", "in": "query", "schema": {"type": "string"}}
                    ],
                }
            },
            "/#X-Amz-Target=Svc.Accept": {
                "post": {"operationId": "Accept", "responses": OK, "parameters": [target]}
            },
            "/#X-Amz-Target=Svc.Claim": {
                "post": {"operationId": "Claim", "responses": OK, "parameters": [target]}
            },
            "/alerts#resourceArn": {
                "get": {
                    "operationId": "ListAlerts",
                    "responses": OK,
                    "parameters": [
                        {
                            "name": "resourceArn",
                            "in": "query",
                            "required": True,
                            "schema": {"type": "string"},
                        }
                    ],
                }
            },
        }
    )
    client = SyncAPIClient(
        base_url="https://api.test",
        package="t",
        version="1",
        http_client=httpx.Client(transport=mock),
        max_retries=0,
    )
    people = Endpoint(
        "GET",
        "/rest?method=flickr.people.get",
        "peopleGet",
        responses={"200": ResponseType("json")},
    )
    assert people.path == "/rest" and people.fixed_query == (("method", "flickr.people.get"),)
    client.request(people, query={"user_id": "u1"})
    claim = Endpoint(
        "POST", "/#X-Amz-Target=Svc.Claim", "Claim", responses={"200": ResponseType("json")}
    )
    client.request(claim, headers={"X-Amz-Target": "Svc.Claim"})
    alerts = Endpoint(
        "GET", "/alerts#resourceArn", "ListAlerts", responses={"200": ResponseType("json")}
    )
    client.request(alerts, query={"resourceArn": "arn:1"})
    sent = [(c.operation_id, str(c.request.url)) for c in mock.calls]
    assert sent == [
        ("peopleGet", "https://api.test/rest?method=flickr.people.get&user_id=u1"),
        ("Claim", "https://api.test/"),
        ("ListAlerts", "https://api.test/alerts?resourceArn=arn%3A1"),
    ]
    assert all(c.valid for c in mock.calls)  # "method" counts as declared: the template has it
    raw = mock.http_client(base_url="https://api.test")
    assert raw.post("/", headers={"X-Amz-Target": "Svc.Accept"}).status_code == 200
    assert mock.calls[-1].operation_id == "Accept"  # the header tells the two apart


def test_query_names_with_brackets_nested_deep_objects_and_one_valued_form_arrays() -> None:
    deep = {
        "type": "object",
        "properties": {"service": {"type": "object", "properties": {"id": {"type": "integer"}}}},
    }
    form = {
        "type": "object",
        "properties": {"purposes": {"type": "array", "items": {"type": "string"}}},
    }
    mock = _mock(
        {
            "/apps": {
                "get": {
                    "operationId": "apps",
                    "responses": OK,
                    "parameters": [
                        {
                            "name": "filter[platform]",
                            "in": "query",
                            "schema": {"type": "string", "enum": ["IOS"]},
                        },
                        {
                            "name": "q",
                            "in": "query",
                            "style": "deepObject",
                            "explode": True,
                            "schema": deep,
                        },
                    ],
                }
            },
            "/collections": {
                "post": {
                    "operationId": "create",
                    "responses": OK,
                    "requestBody": {
                        "content": {"application/x-www-form-urlencoded": {"schema": form}}
                    },
                }
            },
        }
    )
    raw = mock.http_client(base_url="https://api.test")
    assert (
        raw.get("/apps", params={"filter[platform]": "IOS", "q[service][id]": "7"}).status_code
        == 200
    )
    bad = raw.get("/apps", params={"q[service][id]": "x"})
    assert bad.status_code == 400 and "query parameter 'q'.service.id: expected integer" in bad.text
    assert raw.get("/apps", params={"filter[platform]": "MAC"}).status_code == 400
    one = raw.post("/collections", data={"purposes": "FEATURES"})
    assert one.status_code == 200, one.text


def test_synthesised_strings_meet_regex_patterns() -> None:
    patterns = [
        r"^[0-9A-Fa-f]{8}-([0-9A-Fa-f]{4}-){3}[0-9A-Fa-f]{12}$",  # Azure subscription ids
        r"^( *)Endpoint=sb://(.*);( *)SharedAccessKey=(.*)$",
        r"^B[A-Z0-9]{8,}$",
        r"^(foo|bar)-\d{2}[^x]?$",
        r"^\w+@\w+\.com$",
        r"^(a)\1-[^\W\d]$",
    ]
    schemas = Schemas({})
    for pattern in patterns:
        text = schemas.value({"type": "string", "pattern": pattern}, random.Random(1))
        assert re.search(pattern, text), (pattern, text)
    assert _for_pattern(r"[A-Z]{2}(?=x)") is None  # lookahead cannot be met by construction
    assert _for_pattern("(") is None  # not a pattern at all


def test_enums_of_numbers_equal_routes_and_percent_encoded_pointers() -> None:
    shared = {"name": "id", "in": "path", "required": True, "schema": {"enum": [1, 2]}}
    mock = _mock(
        {
            # Zoom: an enum of numbers with no type; DigitalOcean: refs like ~1%7Bid%7D
            "/tsp/{id}": {"get": {"operationId": "tsp", "responses": OK, "parameters": [shared]}},
            "/logs/{id}": {
                "get": {
                    "operationId": "logs",
                    "responses": OK,
                    "parameters": [
                        {"$ref": "#/paths/~1tsp~1%7Bid%7D/get/parameters/0"},
                        {"name": "follow", "in": "query", "schema": {"type": "boolean"}},
                    ],
                }
            },
            # Box: one path twice, told apart by a fragment label only
            "/links/{id}": {
                "put": {"operationId": "update", "responses": OK, "parameters": [shared]}
            },
            "/links/{id}#add_shared_link": {
                "put": {
                    "operationId": "share",
                    "responses": OK,
                    "parameters": [
                        shared,
                        {
                            "name": "fields",
                            "in": "query",
                            "required": True,
                            "schema": {"type": "string"},
                        },
                    ],
                }
            },
        }
    )
    raw = mock.http_client(base_url="https://api.test")
    assert raw.get("/tsp/2").status_code == 200
    assert "is not one of 1, 2" in raw.get("/tsp/3").text
    assert raw.get("/logs/1", params={"follow": "true"}).status_code == 200
    assert "path parameter 'id'" in raw.get("/logs/3").text  # the referenced parameter is read
    assert raw.put("/links/1", params={"fields": "a"}).status_code == 200
    assert raw.put("/links/1").status_code == 200
    assert [c.operation_id for c in mock.calls[-2:]] == ["share", "update"]


def test_examples_their_schema_refuses_are_replaced_and_typed_formats_checked() -> None:
    dated = {
        "type": "object",
        "required": ["start_on", "at"],
        "properties": {
            "start_on": {"type": "string", "format": "date"},
            "at": {"type": "string", "format": "date-time"},
            "size": {"type": "string"},
        },
    }
    example = {"start_on": "2019-09-15T02:06:58.147Z", "at": "string", "size": 12}
    mock = _mock(
        {
            "/p": {
                "get": {
                    "operationId": "p",
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {"application/json": {"schema": dated, "example": example}},
                        }
                    },
                }
            }
        }
    )
    body = mock.http_client(base_url="https://api.test").get("/p").json()
    assert body == {"start_on": "2024-01-02", "at": "2024-01-02T03:04:05Z", "size": body["size"]}
    assert isinstance(body["size"], str)
    schemas = Schemas({})
    assert (
        schemas.problems(dated, {"start_on": "2024-01-02", "at": "2024-01-02 03:04:05+01:00"}) == []
    )
    assert schemas.problems(dated, {"start_on": "tomorrow", "at": "2024-01-02T03:04:05Z"}) == [
        "start_on: 'tomorrow' is not a date"
    ]


def test_slack_items_without_a_type_hold_one_of_their_branches() -> None:
    from apigen.loader import Document
    from apigen.normalize import normalize

    user = {
        "type": "object",
        "required": ["id", "profile"],
        "properties": {
            "id": {"type": "string"},
            "profile": {
                "type": "object",
                "required": ["phone"],
                "properties": {"phone": {"type": "string"}},
            },
        },
    }
    bot = {"type": "object", "required": ["bot_id"], "properties": {"bot_id": {"type": "string"}}}
    spec = {
        "openapi": "3.0.3",
        "info": {"title": "s", "version": "1"},
        "paths": {
            "/users.info": {
                "get": {
                    "operationId": "usersInfo",
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/objs_user"},
                                    "example": {"id": "W1", "profile": {}},
                                }
                            },
                        }
                    },
                }
            }
        },
        "components": {
            "schemas": {
                "objs_user": {
                    "items": {"anyOf": [user, bot]}
                },  # Slack's shape: no type, one object
                "fields": {
                    "items": {"type": "object"},
                    "oneOf": [{"type": "object"}, {"type": "array"}],
                },
            }
        },
    }
    normalized = normalize(Document(spec, "<test>", json.dumps(spec)))
    named = normalized["components"]["schemas"]
    assert named["objs_user"]["anyOf"][:2] == [user, bot]
    assert named["objs_user"]["anyOf"][2]["type"] == "array"  # a list of them is still allowed
    assert "items" not in named["fields"]  # its oneOf says what it holds
    body = (
        MockAPI(mock_spec(normalized))
        .http_client(base_url="https://s.test")
        .get("/users.info")
        .json()
    )
    assert body["id"] == "W1" and isinstance(body["profile"]["phone"], str)  # completed as a user


def test_contradictory_enums_json_array_items_and_examples_of_the_wrong_kind() -> None:
    tsp = {
        "name": "tspId",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "enum": [1, 2]},
    }  # Zoom: no member is a string
    filters = {
        "name": "mdfilters",
        "in": "query",
        "schema": {"type": "array", "maxItems": 1, "items": {"type": "object"}},
    }  # Box: JSON items
    send_at = {
        "type": "object",
        "properties": {"send_at": {"type": "string", "format": "date-time", "enum": ["now"]}},
    }  # Sendgrid
    usage = {
        "type": "object",
        "properties": {
            "plan_base": {
                "type": "array",
                "items": {"type": "object", "properties": {"hosts": {"type": "integer"}}},
            }
        },
    }
    mock = _mock(
        {
            "/tsp/{tspId}": {"get": {"operationId": "tsp", "responses": OK, "parameters": [tsp]}},
            "/search": {"get": {"operationId": "search", "responses": OK, "parameters": [filters]}},
            "/schedule": {
                "put": {
                    "operationId": "schedule",
                    "responses": OK,
                    "requestBody": {"content": {"application/json": {"schema": send_at}}},
                }
            },
            "/usage": {
                "get": {
                    "operationId": "usage",
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {
                                "application/json": {
                                    "schema": usage,
                                    "example": {"plan_base": {"hosts": 3}},
                                }
                            },
                        }
                    },
                }
            },
        }
    )
    raw = mock.http_client(base_url="https://api.test")
    assert raw.get("/tsp/2").status_code == 200
    assert raw.get("/tsp/3").status_code == 400
    one = json.dumps({"templateKey": "k", "filters": {"a": "b", "c": "d"}})
    assert raw.get("/search", params={"mdfilters": one}).status_code == 200
    assert raw.put("/schedule", json={"send_at": "now"}).status_code == 200
    plan_base = raw.get("/usage").json()["plan_base"]  # the example's object is not a list
    assert isinstance(plan_base, list) and all(isinstance(p, dict) for p in plan_base)


def test_a_branch_of_required_names_only_is_synthesised_with_the_objects_properties() -> None:
    # GitHub's check runs, DigitalOcean's firewalls: properties, then anyOf [{required: [...]}]
    schema = {
        "type": "object",
        "required": ["name"],
        "properties": {
            "name": {"type": "string"},
            "conclusion": {"type": "string", "enum": ["success", "failure"]},
            "commit_sha": {"type": "string", "pattern": "^[0-9a-fA-F]+$"},
            "inbound_rules": {"type": ["array", "null"], "items": {"type": "object"}},
        },
        "anyOf": [{"required": ["conclusion", "commit_sha", "inbound_rules"]}, {"required": ["x"]}],
    }
    schemas = Schemas({})
    for seed in range(5):
        value = schemas.value(schema, random.Random(seed), request=True)
        assert {"name", "conclusion", "commit_sha", "inbound_rules"} <= set(value)
        assert schemas.problems(schema, value) == [], value


def test_stripe_anyof_of_an_object_or_empty_string_in_forms_and_deep_objects() -> None:
    created = {
        "anyOf": [
            {"type": "object", "properties": {"gt": {"type": "integer"}}},
            {"type": "integer"},
        ]
    }
    dob = {
        "anyOf": [
            {"type": "object", "properties": {"day": {"type": "integer"}}},
            {"type": "string", "enum": [""]},
        ]
    }
    rates = {
        "anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "string", "enum": [""]}]
    }
    form = {"type": "object", "properties": {"dob": dob, "tax_rates": rates}}
    mock = _mock(
        {
            "/v1/accounts": {
                "get": {
                    "operationId": "list",
                    "responses": OK,
                    "parameters": [
                        {
                            "name": "created",
                            "in": "query",
                            "style": "deepObject",
                            "explode": True,
                            "schema": created,
                        }
                    ],
                },
                "post": {
                    "operationId": "create",
                    "responses": OK,
                    "requestBody": {
                        "content": {"application/x-www-form-urlencoded": {"schema": form}}
                    },
                },
            },
        }
    )
    raw = mock.http_client(base_url="https://api.test")
    assert raw.get("/v1/accounts", params={"created[gt]": "905"}).status_code == 200
    assert raw.get("/v1/accounts", params={"created[gt]": "soon"}).status_code == 400
    ok = raw.post("/v1/accounts", data={"dob[day]": "3", "tax_rates[0]": "txr_1"})
    assert ok.status_code == 200, ok.text
    assert raw.post("/v1/accounts", data={"dob": "", "tax_rates": ""}).status_code == 200


def test_directory_shapes_regex_literals_ignored_headers_adjacent_and_slashed_path_values() -> None:
    literal = {"type": "string", "pattern": "/^\\d{4}-\\d{2}-\\d{2}$/"}  # data2crm
    auth_header = {"name": "Authorization", "in": "header", "required": True}
    mock = _mock(
        {
            "/users": {
                "get": {
                    "operationId": "users",
                    "responses": OK,
                    "parameters": [
                        {"name": "since", "in": "query", "required": True, "schema": literal},
                        {**auth_header, "schema": {"type": "string"}},  # OpenAPI: ignored
                        {"name": "Content-Type", "in": "header", "required": True},
                    ],
                }
            },
            # healthcare.gov: where one parameter ends is told by the other's enum
            "/blog/{page}{ext}": {
                "get": {
                    "operationId": "page",
                    "responses": OK,
                    "parameters": [
                        {"name": "page", "in": "path", "schema": {"type": "string"}},
                        {"name": "ext", "in": "path", "schema": {"enum": [".json", ".md"]}},
                    ],
                }
            },
            # Azure: a path value with a "/" in it, sent as %2F
            "/metrics/{metric}": {
                "get": {
                    "operationId": "metric",
                    "responses": OK,
                    "parameters": [
                        {"name": "metric", "in": "path", "schema": {"enum": ["counters/bytes"]}}
                    ],
                }
            },
            # Azure's registry: Basic and an API key named Authorization in one requirement
            "/manifests": {
                "get": {
                    "operationId": "manifests",
                    "responses": OK,
                    "security": [{"basic": [], "key": []}],
                }
            },
        },
        components={
            "securitySchemes": {
                "basic": {"type": "http", "scheme": "basic"},
                "key": {"type": "apiKey", "in": "header", "name": "Authorization"},
            }
        },
    )
    schema = mock.schemas
    since = next(p for p in mock.operation("users").raw["params"] if p["name"] == "since")
    text = schema.value(since["schema"], random.Random(1), request=True)
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", text)
    raw = mock.http_client(base_url="https://api.test")
    assert raw.get("/users", params={"since": text}).status_code == 200
    assert "pattern" in raw.get("/users", params={"since": "yesterday"}).text
    assert raw.get("/blog/about.json").status_code == 200
    assert mock.calls[-1].path_params == {"page": "about", "ext": ".json"}
    assert raw.get("/blog/about.md").status_code == 200
    assert raw.get("/metrics/counters%2Fbytes").status_code == 200
    assert mock.calls[-1].path_params == {"metric": "counters/bytes"}
    assert raw.get("/manifests", headers={"Authorization": "key-1"}).status_code == 200
    assert raw.get("/manifests").status_code == 401
    assert IGNORED_HEADERS == build.IGNORED_HEADERS  # the client sends none of them either


def test_inherited_closed_objects_form_exploded_query_objects_lookaheads_and_padding() -> None:
    resource = {"type": "object", "additionalProperties": False, "properties": {"id": {}}}
    status = {"type": "object", "properties": {"value": {"enum": ["ported"]}, "n": {}}}
    mock = _mock(
        {
            "/gateways": {
                "put": {
                    "operationId": "put",
                    "responses": OK,
                    "parameters": [  # Telnyx's filter[status]: an object, form-exploded
                        {"name": "filter[status]", "in": "query", "schema": status}
                    ],
                    "requestBody": {
                        "content": {
                            "application/json": {
                                "schema": {  # Azure: a closed Resource, inherited by allOf
                                    "allOf": [{"$ref": "#/components/schemas/Resource"}],
                                    "additionalProperties": False,
                                    "properties": {"properties": {"type": "object"}},
                                }
                            }
                        }
                    },
                }
            }
        },
        components={"schemas": {"Resource": resource}},
    )
    raw = mock.http_client(base_url="https://api.test")
    body = {"id": "1", "properties": {}}
    assert raw.put("/gateways", json=body, params={"value": "ported"}).status_code == 200
    refused = raw.put("/gateways", json={**body, "other": 1}, params={"value": "ported"})
    assert "body.other: unknown property" in refused.text
    refused = raw.put("/gateways", json=body, params={"value": "x"})
    assert "query parameter 'filter[status]'.value: 'x' is not one of" in refused.text
    assert "not declared" in raw.put("/gateways", json=body, params={"zzz": "1"}).text
    schemas = Schemas({})
    password = r"^(?=.*[a-z])(?=.*[A-Z])(?=.*[!@#$%\^&\*])[a-zA-Z\d!@#$%\^&\*]{12,123}$"
    sha = {"type": "string", "minLength": 40, "maxLength": 40, "pattern": "^[0-9a-fA-F]+$"}
    for schema in ({"type": "string", "pattern": password}, sha):
        text = schemas.value(schema, random.Random(1), request=True)
        assert not schemas.problems(schema, text), (schema, text)
    # a request's object is never synthesised empty (a form body would not carry it)
    phase = {"type": "object", "properties": {"items": {"type": "array", "items": status}}}
    value = schemas.value(phase, random.Random(1), request=True)
    assert value["items"] and all(value["items"])


def test_routes_no_request_tells_apart_are_answered_as_the_operation_the_client_calls() -> None:
    # Box: GET /shared_items, /shared_items#folders, /shared_items#web_links: equal requests
    def answer(kind: str) -> dict[str, Any]:
        props = {"type": {"enum": [kind]}}
        schema = {"type": "object", "required": ["type"], "properties": props}
        return {"200": {"description": "", "content": {"application/json": {"schema": schema}}}}

    paths = {
        "/shared_items": {"get": {"operationId": "file", "responses": answer("file")}},
        "/shared_items#folders": {"get": {"operationId": "folder", "responses": answer("folder")}},
    }
    mock = _mock(paths)
    client = SyncAPIClient(
        base_url="https://api.test",
        package="t",
        version="1",
        http_client=httpx.Client(transport=mock),
        max_retries=0,
    )
    for path, operation, kind in (
        ("/shared_items", "file", "file"),
        ("/shared_items#folders", "folder", "folder"),
    ):
        endpoint = Endpoint("GET", path, operation, responses={"200": ResponseType("json")})
        assert client.request(endpoint) == {"type": kind}
        assert mock.calls[-1].operation_id == operation


def test_enums_at_the_wrong_level_or_of_the_wrong_type_and_list_examples_of_objects() -> None:
    schemas = Schemas({})
    # id4i: an array's enum of strings (its items' enum again); Visual Studio: an integer
    # whose enum lists strings; AWS: a pattern found inside "string-N", cut to maxLength
    listed = {"type": "array", "enum": ["A", "B"], "items": {"type": "string", "enum": ["A", "B"]}}
    owner = {"type": "integer", "format": "int32", "enum": ["0 (User)", "1 (Organization)"]}
    days = {"type": "string", "pattern": "[0-9]+", "minLength": 1, "maxLength": 3}
    for schema in (listed, owner, days):
        value = schemas.value(schema, random.Random(1), request=True)
        assert not schemas.problems(schema, value), (schema, value)
    assert schemas.problems(listed, ["C"]) and schemas.problems(owner, "2 (Other)")
    # Azure: an example that is a list where the schema (properties, no type) is an object
    operation = {"properties": {"name": {"type": "string"}}}
    filled = schemas.complete(
        {"properties": {"value": operation}}, {"value": [{}]}, random.Random(1)
    )
    assert isinstance(filled["value"], dict)


def test_ref_siblings_text_examples_of_objects_unicode_classes_and_free_form_queries() -> None:
    contact = {"type": "object", "properties": {"Name": {"type": "string"}}}
    ref = {"type": "object", "properties": {"Name": {"type": "string"}}, "required": ["Name"]}
    secret = {**ref, "example": '{"Name": "x"}'}  # microcks: an object's example as JSON text
    mock = _mock(
        {
            "/quotes": {
                "post": {
                    "operationId": "quotes",
                    "responses": {
                        "200": {
                            "description": "",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "properties": {"s": {"$ref": "#/components/schemas/S"}},
                                        "required": ["s"],
                                    }
                                }
                            },
                        }
                    },
                    "parameters": [  # microcks' queryMap: its keys are the query's names
                        {
                            "name": "queryMap",
                            "in": "query",
                            "required": True,
                            "schema": {"type": "object", "additionalProperties": {}},
                        }
                    ],
                    "requestBody": {
                        "content": {
                            "application/json": {
                                "schema": {  # Xero: what stands beside a $ref is ignored
                                    "type": "object",
                                    "properties": {
                                        "Contact": {
                                            "$ref": "#/components/schemas/Contact",
                                            "type": "string",
                                        }
                                    },
                                }
                            }
                        }
                    },
                }
            }
        },
        components={"schemas": {"Contact": contact, "S": secret}},
    )
    raw = mock.http_client(base_url="https://api.test")
    answer = raw.post("/quotes", json={"Contact": {"Name": "n"}}, params={"any": "1"})
    assert answer.status_code == 200 and isinstance(answer.json()["s"], dict)
    assert "'queryMap': required, missing" in raw.post("/quotes", json={}).text
    # AWS: \p{L} (no Python pattern) is not met by construction, and raises nothing
    unicode = {"type": "string", "pattern": r"^[\p{L}\p{Z}]+$", "maxLength": 5}
    assert len(Schemas({}).value(unicode, random.Random(1), request=True)) <= 5


def test_a_path_parameter_in_the_templates_query_and_patterns_of_alternatives() -> None:
    # Clicksend: "/email/history/export?filename={filename}", filename declared in: path
    param = {"name": "filename", "in": "path", "required": True, "schema": {"type": "string"}}
    path = "/export?filename={filename}"
    mock = _mock({path: {"get": {"operationId": "export", "responses": OK, "parameters": [param]}}})
    client = SyncAPIClient(
        base_url="https://api.test",
        package="t",
        version="1",
        http_client=httpx.Client(transport=mock),
        max_retries=0,
    )
    client.request(Endpoint("GET", path, "export"), path={"filename": "a b.csv"})
    assert str(mock.calls[-1].request.url) == "https://api.test/export?filename=a+b.csv"
    assert mock.calls[-1].valid, mock.calls[-1].problems
    # AWS: "(^$)|(^arn:...)" of minLength 1: the empty branch is too short, the next one fits
    schemas = Schemas({})
    for pattern in (
        r"(^$)|(^arn:aws:sns:.*:\w{12}:.+$)",
        r"^(|(https?|ftp):\/\/[^\s/$.?#].[^\s]*)$",
    ):
        schema = {"type": "string", "pattern": pattern, "minLength": 1}
        value = schemas.value(schema, random.Random(1), request=True)
        assert not schemas.problems(schema, value), (pattern, value)


def test_a_recursive_schema_is_cut_where_its_required_properties_are_still_met() -> None:
    # Dracoon's nodes: {id, name required; children: [Node]}; deep enough, the cut value
    # used to be {} (no id), which the client's model refuses
    node = {
        "type": "object",
        "required": ["id", "kind", "created"],
        "properties": {
            "id": {"type": "integer"},
            "kind": {"type": "string", "enum": ["file", "folder"]},
            "created": {"type": "string", "format": "date-time"},
            "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
        },
    }
    schemas = Schemas({"Node": node})
    value = schemas.value({"$ref": "#/components/schemas/Node"}, random.Random(1))
    assert not schemas.problems({"$ref": "#/components/schemas/Node"}, value, request=False)
    deepest = value
    while deepest.get("children"):
        deepest = deepest["children"][0]
    assert deepest["kind"] == "file" and deepest["created"].startswith("20")


def test_object_parameters_in_headers_are_read_as_the_client_sends_them() -> None:
    # Visual Studio: a header parameter of type object (simple style: k,v or k=v pairs)
    header = {"type": "object", "properties": {"n": {"type": "integer"}, "s": {"type": "string"}}}
    param = {"name": "X-Meta", "in": "header", "required": True, "schema": header}
    mock = _mock({"/m": {"get": {"operationId": "m", "responses": OK, "parameters": [param]}}})
    raw = mock.http_client(base_url="https://api.test")
    for sent in ("n,1,s,a", "n=1,s=a", '{"n": 1, "s": "a"}'):
        assert raw.get("/m", headers={"X-Meta": sent}).status_code == 200, sent
    assert "X-Meta" in raw.get("/m", headers={"X-Meta": "n,x,s,a"}).text


def test_a_string_parameter_with_stray_items_is_a_string() -> None:
    # sinao's ids: {type: string, items: {...}}: the type says string, the items are noise
    schema = {"type": "string", "items": {"type": "integer"}}
    param = {"name": "ids", "in": "query", "required": True, "schema": schema}
    mock = _mock({"/d": {"get": {"operationId": "d", "responses": OK, "parameters": [param]}}})
    raw = mock.http_client(base_url="https://api.test")
    assert raw.get("/d", params={"ids": "a,b"}).status_code == 200
    listed = {"type": ["array", "null"], "items": {"type": "integer"}}  # and a 3.1 array
    param = {"name": "n", "in": "query", "schema": listed}
    mock = _mock({"/l": {"get": {"operationId": "l", "responses": OK, "parameters": [param]}}})
    raw = mock.http_client(base_url="https://api.test")
    assert raw.get("/l", params={"n": "1"}).status_code == 200
    assert "n" in raw.get("/l", params={"n": "x"}).text


def test_typed_formats_keep_parsing_under_their_schemas_patterns_and_lengths() -> None:
    """loket.nl: UUIDs of pattern [0-9A-F] got "{11111111-...)" (the pattern's own text,
    no UUID); unicourt: date-times of minLength 25 were padded with "x". Both broke every
    call of their operations: the mock refused the client's requests, the client its answers.
    """
    import datetime
    import uuid

    import pydantic

    upper_uuid = {
        "type": "string",
        "format": "uuid",
        "pattern": "^[{(]?[0-9A-F]{8}[-]?([0-9A-F]{4}[-]?){3}[0-9A-F]{12}[)}]?$",
    }
    sized_datetime = {"type": "string", "format": "date-time", "minLength": 25, "maxLength": 25}
    schemas = Schemas({})
    for schema, kind in ((upper_uuid, uuid.UUID), (sized_datetime, datetime.datetime)):
        text = schemas.value(schema, random.Random(1))
        assert schemas.problems(schema, text) == [], (schema, text)
        pydantic.TypeAdapter(kind).validate_python(text)  # the generated model's type
    assert schemas.value(upper_uuid, random.Random(1)) == "3FA85F64-5717-4562-B3FC-2C963F66AFA6"
    assert schemas.value(sized_datetime, random.Random(1)) == "2024-01-02T03:04:05+00:00"
    # a schema the first spelling fits keeps it
    plain = {"type": "string", "format": "date-time"}
    assert schemas.value(plain, random.Random(1)) == "2024-01-02T03:04:05Z"


BEEZUP_URL_PATTERN = r"^(https?:\/\/)?([\da-z\.-]+)\.([a-z\.]{2,6})([\/\w \.-]*)*\/?$"


def test_a_spec_pattern_that_backtracks_without_end_never_reaches_pythons_engine(
    monkeypatch: Any,
) -> None:
    """BeezUP's profilePictureUrl pattern (a repeat inside a repeat) against its own
    example URL: Python's ``re`` backtracked on it for more than half an hour in the
    directory contract run. The check is answered by the linear engine, with ``re``
    (which would backtrack) never handed the pattern."""
    from apigen.runtime import patterns

    handed: list[str] = []
    real_compile, real_search = re.compile, re.search

    def watch_compile(pattern: Any, *args: Any) -> Any:
        handed.append(pattern)
        return real_compile(pattern, *args)

    def watch_search(pattern: Any, *args: Any) -> Any:
        handed.append(pattern)
        return real_search(pattern, *args)

    monkeypatch.setattr(re, "compile", watch_compile)
    monkeypatch.setattr(re, "search", watch_search)
    url = (
        "https://upload.wikimedia.org/wikipedia/commons/thumb/e/e5/"
        "Marlon_Brando_%28cropped%29.jpg/220px-Marlon_Brando_%28cropped%29.jpg"
    )
    schema = {"type": "string", "pattern": BEEZUP_URL_PATTERN}
    schemas = Schemas({})
    assert schemas.problems(schema, "https://example.com/a/b.jpg") == []  # quick either way
    assert BEEZUP_URL_PATTERN not in handed  # so the URL below cannot hang the test
    assert schemas.problems(schema, url) == [
        f"value: does not match the pattern {BEEZUP_URL_PATTERN!r}"
    ]
    synthesised = schemas.value(schema, random.Random(1))
    assert patterns.pattern_search(BEEZUP_URL_PATTERN, synthesised) is True
    assert BEEZUP_URL_PATTERN not in handed


def test_patterns_the_linear_engine_cannot_read_go_to_re_only_when_safe() -> None:
    from apigen.runtime.patterns import pattern_search

    lookahead = r"^(?=.*\d)[a-z\d]{6,}$"  # a password rule: no nested repeat, so re runs it
    assert pattern_search(lookahead, "abc123") is True
    assert pattern_search(lookahead, "abcdef") is False
    assert pattern_search(r"(a)\1", "xaay") is True  # a back-reference
    nested = r"^(?=x)(a+)+$"  # a lookahead and a repeat in a repeat: cannot be told safely
    assert pattern_search(nested, "x" + "a" * 40 + "!") is None
    schemas = Schemas({})
    assert schemas.problems({"type": "string", "pattern": nested}, "a" * 40 + "!") == []
    assert pattern_search(r"\p{L}+", "élan") is True  # read by the linear engine, not by re
    assert pattern_search("(", "x") is None  # no pattern at all


def test_references_into_a_named_schema_are_entries_of_their_own_built_once() -> None:
    """Azure's bundled files point into the first copy of a part
    (``#/components/schemas/Server/properties/ip``); inlined at every use, parts holding
    such references again grew exponentially (network-applicationGateway: 17 operations,
    over 14 GB and half an hour in the directory contract run)."""
    level = 12  # each part holds two references to the next: 2**12 copies when inlined
    parts: dict[str, Any] = {"type": "object", "properties": {}}
    node = parts
    for depth in range(level):
        inner: dict[str, Any] = {"type": "object", "properties": {}, "required": ["a"]}
        target = "#/components/schemas/Server/properties/" + "/properties/".join(
            ["n"] * (depth + 1)
        )
        node["properties"]["n"] = inner
        node["properties"]["a"] = {"$ref": target}
        node["properties"]["b"] = {"$ref": target}
        node = inner
    node["properties"]["a"] = {"type": "string", "format": "uuid"}
    spec = {
        "openapi": "3.0.3",
        "info": {},
        "paths": {
            "/s": {
                "get": {
                    "operationId": "s",
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Server"}
                                }
                            },
                        }
                    },
                }
            }
        },
        "components": {"schemas": {"Server": parts}},
    }
    compact = mock_spec(spec)
    part = "/Server/properties/n"
    assert compact["schemas"]["Server"]["properties"]["a"] == {
        "$ref": "#/components/schemas/" + part
    }
    assert len(compact["schemas"]) == 1 + level  # the schema and each part, once
    assert len(json.dumps(compact)) < 100_000  # inlined: over 1 MB
    body = MockAPI(compact).http_client(base_url="https://api.test").get("/s").json()
    deepest = body
    while isinstance(deepest.get("a"), dict):
        deepest = deepest["a"]
    assert isinstance(deepest["a"], str) and len(deepest["a"]) == 36  # the uuid at the end


def test_a_request_tries_only_the_routes_its_first_segment_allows_in_spec_order() -> None:
    """Microsoft Graph's 22,361 routes were each tried (and compiled) for every request;
    now the routes of the request's first segment and those starting with a parameter."""
    paths: dict[str, Any] = {
        f"/area{i}/items/{{id}}": {"get": {"operationId": f"get{i}", "responses": OK}}
        for i in range(200)
    }
    paths["/{tenant}/items/{id}"] = {"get": {"operationId": "anyTenant", "responses": OK}}
    paths["/area7/items/special"] = {"get": {"operationId": "special", "responses": OK}}
    mock = _mock(paths)
    http = mock.http_client(base_url="https://api.test")
    assert http.get("/area7/items/special").status_code == 200
    assert mock.calls[-1].operation_id == "special"  # the most literal, as before
    assert http.get("/area7/items/9").status_code == 200
    assert mock.calls[-1].operation_id == "get7"
    assert http.get("/elsewhere/items/9").status_code == 200
    assert mock.calls[-1].operation_id == "anyTenant"
    tried = [op.id for op in mock._operations if "regex" in vars(op)]
    assert tried == ["get7", "anyTenant", "special"]  # 3 of 202 routes compiled


def _body_op(op_id: str, media: str, schema: Any) -> dict[str, Any]:
    return {
        "post": {
            "operationId": op_id,
            "responses": OK,
            "requestBody": {"required": True, "content": {media: {"schema": schema}}},
        }
    }


def test_form_and_multipart_bodies_the_spec_types_as_no_object_are_sent() -> None:
    # spoonacular's and LibreTranslate's forms typed as a string (an encoded form), Jira's
    # and Noosh's attachments as a binary string, Jira's columns as an array, codat's as {}
    form = "application/x-www-form-urlencoded"
    multipart = "multipart/form-data"
    spec = {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/detect": _body_op("detect", form, {"type": "string"}),
            "/attachments": _body_op("attach", multipart, {"type": "string", "format": "binary"}),
            "/columns": _body_op(
                "columns", multipart, {"type": "array", "items": {"type": "string"}}
            ),
            "/anything": _body_op("anything", multipart, {}),
        },
    }
    types = {op.operation_id: op.body.type.expr for op in build.build_api(spec).operations}
    file_part = "bytes | IO[bytes] | PathLike[str] | tuple[Any, ...] | dict[str, Any]"
    assert types == {
        "detect": "str | dict[str, Any]",
        "attach": file_part,
        "columns": "list[str] | dict[str, Any]",
        "anything": file_part,
    }
    mock = MockAPI(mock_spec(spec))
    client = SyncAPIClient(
        base_url="https://api.test",
        package="t",
        version="1",
        http_client=httpx.Client(transport=mock),
        max_retries=0,
    )

    def send(path: str, media: str, body: Any) -> httpx.Request:
        kind = "form" if media == form else "multipart"
        endpoint = Endpoint(
            "POST",
            path,
            path.strip("/"),
            responses={"200": ResponseType("json")},
            body_kind=kind,
            body_content_type=media,
        )
        client.request(endpoint, body=body)
        call = mock.calls[-1]
        assert call.problems == [], call.problems
        return call.request

    text = "text=I%20like%20tacos&lang=en"
    assert send("/detect", form, text).content == text.encode()
    assert b"lang=en" in send("/detect", form, {"text": "tacos", "lang": "en"}).content

    def parts(request: httpx.Request) -> list[tuple[str, str]]:
        found = re.findall(rb'name="([^"]*)"(?:; filename="([^"]*)")?', request.content)
        return [(n.decode(), f.decode()) for n, f in found]

    attached = send("/attachments", multipart, ("scan.pdf", b"%PDF-1", "application/pdf"))
    assert parts(attached) == [("file", "scan.pdf")] and b"%PDF-1" in attached.content
    assert parts(send("/attachments", multipart, b"\x00raw")) == [("file", "file")]
    assert parts(send("/anything", multipart, "plain text")) == [("file", "")]
    assert parts(send("/columns", multipart, ["summary", "status"])) == [("file", ""), ("file", "")]
    named = send("/columns", multipart, [("columns", "summary"), ("columns", "status")])
    assert parts(named) == [("columns", ""), ("columns", "")]
    assert parts(send("/attachments", multipart, {"file": b"x", "note": "n"})) == [
        ("file", "file"),
        ("note", ""),
    ]


def test_form_properties_spelled_with_brackets_are_one_field() -> None:
    # cambase: a Rails form written out flat, properties "vendor[name]", "vendor[url]"
    flat = {
        "type": "object",
        "required": ["vendor[name]"],
        "properties": {"vendor[name]": {"type": "string"}, "vendor[url]": {"type": "string"}},
    }
    nested = {
        "type": "object",
        "required": ["vendor"],
        "properties": {
            "vendor": {
                "type": "object",
                "required": ["name"],
                "properties": {"name": {"type": "string"}},
            }
        },
    }
    form = "application/x-www-form-urlencoded"
    mock = _mock(
        {"/vendors": _body_op("create", form, flat), "/nested": _body_op("n", form, nested)}
    )
    raw = mock.http_client(base_url="https://api.test")
    ok = raw.post("/vendors", data={"vendor[name]": "Axis", "vendor[url]": "https://axis.test"})
    assert ok.status_code == 200, ok.text
    missing = raw.post("/vendors", data={"vendor[url]": "https://axis.test"})
    assert missing.status_code == 400
    assert "body.vendor[name]: required property is missing" in missing.text
    assert raw.post("/nested", data={"vendor[name]": "Axis"}).status_code == 200
    assert raw.post("/nested", data={"vendor[url]": "x"}).status_code == 400


def test_nullable_exploded_query_objects_and_json_items_of_an_allof_are_read() -> None:
    # sinao: `contact_infos` a nullable object sent form-exploded (?address=..&id=..), and
    # `data` an array of Invoice, an allOf with no `type`, each item sent as JSON text
    contact = {
        "type": ["object", "null"],
        "properties": {"address": {"type": "string"}, "id": {"type": "integer"}},
    }
    invoice = {"allOf": [{"properties": {"id": {"type": "integer"}}}]}
    spec = {
        "openapi": "3.1.0",
        "info": {},
        "components": {"schemas": {"Invoice": invoice}},
        "paths": {
            "/invoices": {
                "post": {
                    "operationId": "create",
                    "responses": OK,
                    "parameters": [
                        {"name": "contact_infos", "in": "query", "schema": contact},
                        {
                            "name": "data",
                            "in": "query",
                            "schema": {
                                "type": "array",
                                "items": {"$ref": "#/components/schemas/Invoice"},
                            },
                        },
                    ],
                }
            }
        },
    }
    raw = MockAPI(mock_spec(spec)).http_client(base_url="https://api.test")
    ok = raw.post("/invoices", params={"address": "1 Main St", "id": "7"})
    assert ok.status_code == 200, ok.text
    bad = raw.post("/invoices", params={"address": "1 Main St", "id": "seven"})
    assert "query parameter 'contact_infos'.id: expected integer" in bad.text
    items = [("data", json.dumps({"id": 1})), ("data", json.dumps({"id": 2}))]
    assert raw.post("/invoices", params=items).status_code == 200
    wrong = raw.post("/invoices", params=[("data", json.dumps({"id": "x"}))])
    assert wrong.status_code == 400 and "expected integer" in wrong.text


def test_query_parameters_with_json_content_go_as_one_json_text() -> None:
    # rudder: `query` is {content: {application/json: {schema: object}}}, whose `where`
    # property is also a parameter of its own: the object must not be form-exploded
    criteria = {
        "type": "array",
        "items": {"type": "object", "properties": {"attribute": {"type": "string"}}},
    }
    query = {
        "type": "object",
        "properties": {"composition": {"type": "string"}, "where": criteria},
    }
    spec = {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/nodes": {
                "get": {
                    "operationId": "nodes",
                    "responses": OK,
                    "parameters": [
                        {
                            "name": "query",
                            "in": "query",
                            "content": {"application/json": {"schema": query}},
                        },
                        {
                            "name": "where",
                            "in": "query",
                            "content": {"application/json": {"schema": criteria}},
                        },
                    ],
                }
            }
        },
    }
    (op,) = build.build_api(spec).operations
    assert [(p.name, p.style) for p in op.parameters] == [("query", "json"), ("where", "json")]
    mock = MockAPI(mock_spec(spec))
    client = SyncAPIClient(
        base_url="https://api.test",
        package="t",
        version="1",
        http_client=httpx.Client(transport=mock),
        max_retries=0,
    )
    json_style = ParamStyle("json", False)
    nodes = Endpoint(
        "GET",
        "/nodes",
        "nodes",
        responses={"200": ResponseType("json")},
        param_styles={"query": json_style, "where": json_style},
    )
    where = [{"attribute": "OS"}]
    client.request(nodes, query={"query": {"composition": "and", "where": where}, "where": where})
    call = mock.calls[-1]
    assert call.problems == [] and call.query == {
        "query": ['{"composition":"and","where":[{"attribute":"OS"}]}'],
        "where": ['[{"attribute":"OS"}]'],
    }
    raw = mock.http_client(base_url="https://api.test")
    bad = raw.get("/nodes", params={"query": json.dumps({"where": {"attribute": "OS"}})})
    assert bad.status_code == 400
    assert "query parameter 'query'.where: expected array, got object" in bad.text


def test_an_undeclared_placeholder_in_the_templates_query_is_declared_by_the_template() -> None:
    # icons8: "/latest?term={term}&amount={amount}" declares amount only; the generator
    # takes `term` as a required str argument and the client fills it in
    amount = {"name": "amount", "in": "path", "required": True, "schema": {"type": "number"}}
    mock = _mock(
        {
            "/latest?term={term}&amount={amount}": {
                "get": {"operationId": "latest", "responses": OK, "parameters": [amount]}
            }
        }
    )
    raw = mock.http_client(base_url="https://api.test")
    ok = raw.get("/latest", params={"term": "home", "amount": "25"})
    assert ok.status_code == 200, ok.text
    assert raw.get("/latest", params={"term": "home", "amount": "many"}).status_code == 400
    stray = raw.get("/latest", params={"term": "home", "amount": "25", "other": "1"})
    assert "query parameter 'other': not declared by the operation" in stray.text


def test_a_synthesised_request_map_has_an_entry_so_a_required_query_map_is_sent() -> None:
    # AWS SNS: `Attributes`, a required map (additionalProperties only) sent form-exploded;
    # an empty map puts nothing on the wire, which the mock rightly calls missing
    attributes = {"type": "object", "additionalProperties": {"type": "string"}}
    param = {"name": "Attributes", "in": "query", "required": True, "schema": attributes}
    mock = _mock({"/set": {"get": {"operationId": "set", "responses": OK, "parameters": [param]}}})
    value = mock.schemas.value(attributes, random.Random(0), request=True)
    assert isinstance(value, dict) and len(value) == 1
    assert all(isinstance(v, str) for v in value.values())
    assert mock.schemas.value(attributes, random.Random(0)) == {}  # answers stay minimal
    raw = mock.http_client(base_url="https://api.test")
    assert raw.get("/set", params=value).status_code == 200
    assert "'Attributes': required, missing" in raw.get("/set").text


def test_an_allof_wrapped_path_integer_and_a_form_body_that_is_an_array() -> None:
    # PeerTube: videoId is {allOf: [{$ref: id}]} (an integer); the studio's edit form is an
    # array of task objects, which went out as "name=options" (a dict read as a pair)
    task = {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "options": {"type": "object", "properties": {"start": {"type": "integer"}}},
        },
    }
    video = {"name": "videoId", "in": "path", "required": True}
    video["schema"] = {"allOf": [{"$ref": "#/components/schemas/id"}]}
    form = "application/x-www-form-urlencoded"
    spec = {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "components": {"schemas": {"id": {"type": "integer", "minimum": 1}}},
        "paths": {
            "/videos/{videoId}/edit": {
                "parameters": [video],
                **_body_op("edit", form, {"type": "array", "items": task}),
            }
        },
    }
    mock = MockAPI(mock_spec(spec))
    client = SyncAPIClient(
        base_url="https://api.test",
        package="t",
        version="1",
        http_client=httpx.Client(transport=mock),
        max_retries=0,
    )
    edit = Endpoint(
        "POST",
        "/videos/{videoId}/edit",
        "edit",
        responses={"200": ResponseType("json")},
        body_kind="form",
        body_content_type=form,
    )
    tasks = [{"name": "cut", "options": {"start": 3}}, {"name": "add-intro"}]
    client.request(edit, path={"videoId": 42}, body=tasks)
    call = mock.calls[-1]
    assert call.problems == []
    assert call.request.content == (
        b"0%5Bname%5D=cut&0%5Boptions%5D%5Bstart%5D=3&1%5Bname%5D=add-intro"
    )
    raw = mock.http_client(base_url="https://api.test")
    wrong = raw.post("/videos/forty-two/edit", data={"0[name]": "cut"})
    assert "path parameter 'videoId': expected integer, got string" in wrong.text
    client.request(edit, path={"videoId": 7}, body=[("0[name]", "cut")])  # pairs stay pairs
    assert mock.calls[-1].problems == [] and mock.calls[-1].request.content == b"0%5Bname%5D=cut"


def test_exploded_objects_sharing_a_property_name_take_any_value_that_fits() -> None:
    # AWS RDS: ScalingConfiguration.MinCapacity (integer, allOf-wrapped) and
    # ServerlessV2ScalingConfiguration.MinCapacity (number) both go out as MinCapacity=;
    # sinao: a `type` parameter and an exploded object's `type` property
    integer = {"allOf": [{"$ref": "#/components/schemas/IntegerOptional"}]}
    scaling = {"type": "object", "properties": {"MinCapacity": integer}}
    serverless = {"type": "object", "properties": {"MinCapacity": {"type": "number"}}}
    kind = {"type": "string", "enum": ["transaction", "sales"]}
    movement = {"type": "object", "properties": {"type": {"type": "string", "enum": ["account"]}}}
    params = [
        {"name": "ScalingConfiguration", "in": "query", "schema": scaling},
        {"name": "ServerlessV2ScalingConfiguration", "in": "query", "schema": serverless},
        {"name": "type", "in": "query", "schema": kind},
        {"name": "movement", "in": "query", "schema": movement},
    ]
    spec = {
        "openapi": "3.0.3",
        "info": {},
        "components": {"schemas": {"IntegerOptional": {"type": "integer"}}},
        "paths": {"/cluster": {"get": {"operationId": "c", "responses": OK, "parameters": params}}},
    }
    raw = MockAPI(mock_spec(spec)).http_client(base_url="https://api.test")
    both = [("MinCapacity", "2"), ("MinCapacity", "0.5"), ("type", "sales"), ("type", "account")]
    assert raw.get("/cluster", params=both).status_code == 200, raw.get(
        "/cluster", params=both
    ).text
    neither = raw.get("/cluster", params=[("MinCapacity", "many")])
    assert "'ScalingConfiguration'.MinCapacity: expected integer, got string" in neither.text
    assert raw.get("/cluster", params=[("type", "refund")]).status_code == 400


def test_a_route_whose_path_values_fit_its_parameters_wins_and_map_examples_are_completed() -> None:
    # Mist: GET /sites/{site_id}/rssizones/count is {zone_type}/count (zone_type
    # "rssizones"), not rssizones/{rssizone_id} whose id is a uuid; its routing_policies
    # example (a map) held integers where the map's values say strings
    zone = {"name": "zone_type", "in": "path", "required": True, "schema": {"type": "string"}}
    rssi = {"name": "rssizone_id", "in": "path", "required": True}
    rssi["schema"] = {"type": "string", "format": "uuid"}
    policies = {
        "type": "object",
        "additionalProperties": {
            "type": "object",
            "properties": {"community": {"type": "array", "items": {"type": "string"}}},
        },
    }
    answer = {
        "description": "ok",
        "content": {
            "application/json": {"schema": policies, "example": {"p1": {"community": [3900190]}}}
        },
    }
    mock = _mock(
        {
            "/sites/{zone_type}/count": {
                "get": {"operationId": "count", "responses": {"200": answer}, "parameters": [zone]}
            },
            "/sites/rssizones/{rssizone_id}": {
                "get": {"operationId": "zone", "responses": OK, "parameters": [rssi]}
            },
        }
    )
    raw = mock.http_client(base_url="https://api.test")
    counted = raw.get("/sites/rssizones/count")
    assert counted.status_code == 200 and mock.calls[-1].operation_id == "count"
    assert mock.schemas.problems(policies, counted.json()) == [], counted.json()
    uuid = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
    assert raw.get(f"/sites/rssizones/{uuid}").status_code == 200
    assert mock.calls[-1].operation_id == "zone"


def test_a_body_of_no_usable_media_type_is_not_asked_for() -> None:
    # spoonacular: requestBody {required: true, content: {"": {...}}}; the generator leaves
    # the body out (reported), so the mock must not refuse every call for lacking it
    body = {"type": "object", "required": ["hash"], "properties": {"hash": {"type": "string"}}}
    unusable = {"required": True, "content": {"": {"schema": body}}}
    usable = {"required": True, "content": {"application/json": {"schema": body}}}
    mock = _mock(
        {
            "/plan": {"delete": {"operationId": "clear", "responses": OK, "requestBody": unusable}},
            "/other": {"post": {"operationId": "other", "responses": OK, "requestBody": usable}},
        }
    )
    raw = mock.http_client(base_url="https://api.test")
    assert raw.delete("/plan").status_code == 200
    assert "body: required, missing" in raw.post("/other").text


def test_closed_objects_around_a_oneof_and_a_json_answer_before_any_media() -> None:
    # Jira: CustomFieldContextDefaultValue is {additionalProperties: false, oneOf: [...]}
    # (the branches' names are its own); the avatar's 200 declares */* of no schema before
    # application/json of an object, which the client parses
    cascading = {
        "type": "object",
        "required": ["optionId"],
        "properties": {"optionId": {"type": "string"}, "cascadingOptionId": {"type": "string"}},
    }
    single = {"type": "object", "properties": {"optionId": {"type": "string"}}}
    closed = {"type": "object", "additionalProperties": False, "oneOf": [cascading, single]}
    schemas = Schemas({})
    assert schemas.problems(closed, {"optionId": "1", "cascadingOptionId": "2"}) == []
    assert schemas.problems(closed, {"optionId": "1", "other": "3"}) == [
        "other: unknown property (additionalProperties is false)"
    ]
    avatar = {
        "description": "ok",
        "content": {
            "*/*": {},
            "application/json": {"schema": {"type": "object", "required": ["id"]}},
            "image/png": {},
        },
    }
    mock = _mock({"/avatar": {"get": {"operationId": "avatar", "responses": {"200": avatar}}}})
    answer = mock.http_client(base_url="https://api.test").get("/avatar")
    assert answer.headers["content-type"].startswith("application/json")
    assert isinstance(answer.json(), dict) and "id" in answer.json()


def test_a_uuid_example_the_client_cannot_read_is_not_answered() -> None:
    # Linode: euuid {format: uuid, example: "E1AF5EEC-526F-487D-B317EBEB34C87D71"}, four
    # groups: the standard library reads it, pydantic (the generated model) does not
    import uuid

    import pydantic

    euuid = {"type": "string", "format": "uuid", "example": "E1AF5EEC-526F-487D-B317EBEB34C87D71"}
    account = {"type": "object", "required": ["euuid"], "properties": {"euuid": euuid}}
    schemas = Schemas({})
    assert schemas.problems(euuid, euuid["example"]) == [
        "value: 'E1AF5EEC-526F-487D-B317EBEB34C87D71' is not a uuid"
    ]
    answered = schemas.value(account, random.Random(0))["euuid"]
    pydantic.TypeAdapter(uuid.UUID).validate_python(answered)
    for spelling in ("3FA85F64-5717-4562-B3FC-2C963F66AFA6", "3fa85f6457174562b3fc2c963f66afa6"):
        assert schemas.problems(euuid, spelling) == []


def test_a_synthesised_tag_is_the_members_own_enum_value_without_a_mapping() -> None:
    # exavault: included items anyOf [Account, Resource], discriminator type, no mapping;
    # Account.type is enum ["account"], which the models take as the tag (not "Account")
    account = {"type": "object", "properties": {"type": {"type": "string", "enum": ["account"]}}}
    plain = {"type": "object", "properties": {"type": {"type": "string"}}}
    ref = "#/components/schemas/"
    schemas = Schemas({"Account": account, "Plain": plain})
    for first, tag in (("Account", "account"), ("Plain", "Plain")):
        union = {
            "anyOf": [{"$ref": ref + first}, {"$ref": ref + "Account"}],
            "discriminator": {"propertyName": "type"},
        }
        assert schemas.value(union, random.Random(0))["type"] == tag


def test_an_inline_discriminated_branch_gets_its_tag_though_optional() -> None:
    # Mailchimp: conditions items oneOf inline objects, discriminator condition_type, which
    # each branch declares (enum ["Aim"]) but does not require: an answer without it is no
    # member of the models' discriminated union ("Field required")
    aim = {
        "type": "object",
        "properties": {
            "condition_type": {"type": "string", "enum": ["Aim"]},
            "op": {"type": "string", "enum": ["open"]},
        },
    }
    other = {"type": "object", "properties": {"condition_type": {"type": "string", "const": "X"}}}
    items = {"oneOf": [aim, other], "discriminator": {"propertyName": "condition_type"}}
    deep = {
        "type": "object",
        "properties": {
            "a": {
                "type": "object",
                "properties": {
                    "b": {
                        "type": "object",
                        "properties": {"conditions": {"type": "array", "items": items}},
                    }
                },
            }
        },
    }
    value = Schemas({}).value(deep, random.Random(0))
    assert value["a"]["b"]["conditions"][0]["condition_type"] == "Aim", value


def test_an_enum_none_of_whose_members_has_the_declared_type_takes_its_members() -> None:
    # apptigent: lower {type: string, enum: [true, false]}: the model is Literal[True, False]
    # and the client sends true, which the mock refused as "expected string, got boolean"
    lower = {"type": "string", "enum": [True, False]}
    schemas = Schemas({})
    assert schemas.problems(lower, True) == [] and schemas.problems(lower, False) == []
    assert schemas.problems(lower, 1) != []  # 1 == True in Python, but not the member
    assert schemas.problems({"type": "string", "enum": ["a", True]}, True) != []
    # stackexchange: the same enum on a query parameter, sent as text
    param = {"name": "accepted", "in": "query", "schema": lower}
    mock = _mock({"/search": {"get": {"operationId": "s", "responses": OK, "parameters": [param]}}})
    raw = mock.http_client(base_url="https://api.test")
    assert raw.get("/search", params={"accepted": "false"}).status_code == 200
    assert raw.get("/search", params={"accepted": "maybe"}).status_code == 400


def test_a_more_literal_route_is_not_passed_over_for_a_looser_one_that_accepts() -> None:
    # /users/me wins over /users/{id} (both typed): a request /users/me lacking me's required
    # query is refused as `me`, not answered as `user` with id "me"
    need = {"name": "fields", "in": "query", "required": True, "schema": {"type": "string"}}
    ident = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
    mock = _mock(
        {
            "/users/me": {"get": {"operationId": "me", "responses": OK, "parameters": [need]}},
            "/users/{id}": {"get": {"operationId": "user", "responses": OK, "parameters": [ident]}},
        }
    )
    raw = mock.http_client(base_url="https://api.test")
    assert raw.get("/users/me").status_code == 400 and mock.calls[-1].operation_id == "me"
    assert raw.get("/users/42").status_code == 200 and mock.calls[-1].operation_id == "user"
