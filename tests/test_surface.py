"""apigen.surface: where operations sit on the client, and what their methods are called.

Small specs written here, each a shape the real APIs have (Stripe's path-mirroring
operationIds, Twilio's version tags and /Accounts/{AccountSid} scope, Slack's dotted
tags, GitHub's tags that cut across paths); the real documents are in
test_spellings.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from apigen.build import build_api
from apigen.customize import Options, apply_options
from apigen.diagnostics import ApigenError
from apigen.surface import (
    assign_names,
    default_package_name,
    mirrors_path,
    path_tokens,
    reduce_operation_id,
)


def _spec(paths: dict[str, dict[str, Any]], **extra: Any) -> dict[str, Any]:
    """A 3.x document: ``paths`` maps a path to {method: operationId or operation}."""
    out: dict[str, Any] = {}
    for path, methods in paths.items():
        item = {}
        for method, op in methods.items():
            op = {"operationId": op} if isinstance(op, str) else dict(op or {})
            op.setdefault("responses", {"200": {"description": "ok"}})
            item[method] = op
        out[path] = item
    return {"openapi": "3.0.3", "info": {"title": "T", "version": "1"}, "paths": out, **extra}


def calls(spec: dict[str, Any]) -> dict[str, str]:
    """``"METHOD /path" -> "resource.sub.method"`` as the IR names them."""
    api = build_api(spec)
    return {
        f"{op.method} {op.path}": f"{r.dotted}.{op.py_name}"
        for r in api.resources
        for op in r.operations
    }


STRIPE_LIKE = _spec(
    {
        "/v1/customers": {"get": "GetCustomers", "post": "PostCustomers"},
        "/v1/customers/search": {"get": "GetCustomersSearch"},
        "/v1/customers/{customer}": {
            "get": "GetCustomersCustomer",
            "post": "PostCustomersCustomer",
            "delete": "DeleteCustomersCustomer",
        },
        "/v1/customers/{customer}/discount": {"delete": "DeleteCustomersCustomerDiscount"},
        "/v1/customers/{customer}/sources": {
            "get": "GetCustomersCustomerSources",
            "post": "PostCustomersCustomerSources",
        },
        "/v1/customers/{customer}/sources/{id}": {
            "get": "GetCustomersCustomerSourcesId",
            "delete": "DeleteCustomersCustomerSourcesId",
        },
        "/v1/customers/{customer}/sources/{id}/verify": {
            "post": "PostCustomersCustomerSourcesIdVerify"
        },
        "/v1/payment_intents/{intent}/confirm": {"post": "PostPaymentIntentsIntentConfirm"},
        "/v1/payment_intents/{intent}": {"get": "GetPaymentIntentsIntent"},
        "/v1/balance": {"get": "GetBalance"},
        "/v1/test_helpers/treasury/inbound_transfers/{id}/succeed": {
            "post": "PostTestHelpersTreasuryInboundTransfersIdSucceed"
        },
    }
)


def test_path_mirroring_operation_ids_give_sdk_verbs_and_nested_collections() -> None:
    assert calls(STRIPE_LIKE) == {
        "GET /v1/customers": "customers.list",
        "POST /v1/customers": "customers.create",
        "GET /v1/customers/search": "customers.search",
        "GET /v1/customers/{customer}": "customers.retrieve",
        "POST /v1/customers/{customer}": "customers.update",
        "DELETE /v1/customers/{customer}": "customers.delete",
        "DELETE /v1/customers/{customer}/discount": "customers.delete_discount",
        "GET /v1/customers/{customer}/sources": "customers.sources.list",
        "POST /v1/customers/{customer}/sources": "customers.sources.create",
        "GET /v1/customers/{customer}/sources/{id}": "customers.sources.retrieve",
        "DELETE /v1/customers/{customer}/sources/{id}": "customers.sources.delete",
        "POST /v1/customers/{customer}/sources/{id}/verify": "customers.sources.verify",
        "POST /v1/payment_intents/{intent}/confirm": "payment_intents.confirm",
        "GET /v1/payment_intents/{intent}": "payment_intents.retrieve",
        "GET /v1/balance": "balance.retrieve",
        "POST /v1/test_helpers/treasury/inbound_transfers/{id}/succeed": (
            "test_helpers.treasury.inbound_transfers.succeed"
        ),
    }


def test_nested_resources_are_attributes_of_their_parent() -> None:
    api = build_api(STRIPE_LIKE)
    by_path = {r.attr_path: r for r in api.resources}
    customers = by_path[("customers",)]
    assert [c.attr for c in customers.children] == ["sources"]
    assert (
        customers.children[0].py_name
        == by_path[("customers", "sources")].py_name
        == "customers_sources"
    )
    assert [r.dotted for r in api.top_resources] == [
        "balance",
        "customers",
        "payment_intents",
        "test_helpers",
    ]
    # an empty namespace level holds only children
    assert (
        by_path[("test_helpers",)].operations == ()
        and by_path[("test_helpers", "treasury")].children
    )


def test_a_list_method_comes_last_in_its_class() -> None:
    """Annotations after ``def list`` would name the method (mypy: not valid as a type)."""
    names = [op.py_name for op in build_api(STRIPE_LIKE).resources[1].operations]
    assert names[-1] == "list" and names.count("list") == 1


TWILIO_LIKE = _spec(
    {
        "/2010-04-01/Accounts.json": {
            "get": {"operationId": "ListAccount", "tags": ["Api20100401Account"]}
        },
        "/2010-04-01/Accounts/{Sid}.json": {
            "get": {"operationId": "FetchAccount", "tags": ["Api20100401Account"]}
        },
        "/2010-04-01/Accounts/{AccountSid}/Messages.json": {
            "get": {"operationId": "ListMessage", "tags": ["Api20100401Message"]},
            "post": {"operationId": "CreateMessage", "tags": ["Api20100401Message"]},
        },
        "/2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json": {
            "get": {"operationId": "FetchMessage", "tags": ["Api20100401Message"]}
        },
        "/2010-04-01/Accounts/{AccountSid}/Calls.json": {
            "post": {"operationId": "CreateCall", "tags": ["Api20100401Call"]}
        },
        "/2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}/Recordings.json": {
            "get": {"operationId": "ListCallRecording", "tags": ["Api20100401Recording"]}
        },
        "/2010-04-01/Accounts/{AccountSid}/Recordings.json": {
            "get": {"operationId": "ListRecording", "tags": ["Api20100401Recording"]}
        },
        "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/Local.json": {
            "get": {"operationId": "ListIncomingPhoneNumberLocal", "tags": ["Api20100401Local"]},
            "post": {"operationId": "CreateIncomingPhoneNumberLocal", "tags": ["Api20100401Local"]},
        },
        "/2010-04-01/Accounts/{AccountSid}/Queues.json": {
            "get": {"operationId": "ListQueue", "tags": ["Api20100401Queue"]}
        },
        "/2010-04-01/Accounts/{AccountSid}/Queues/{Sid}.json": {
            "get": {"operationId": "FetchQueue", "tags": ["Api20100401Queue"]}
        },
    }
)


def test_version_tags_give_way_to_paths_and_the_account_scope_is_not_a_resource() -> None:
    account = "/2010-04-01/Accounts/{AccountSid}"
    assert calls(TWILIO_LIKE) == {
        "GET /2010-04-01/Accounts.json": "accounts.list",
        "GET /2010-04-01/Accounts/{Sid}.json": "accounts.fetch",
        f"GET {account}/Messages.json": "messages.list",
        f"POST {account}/Messages.json": "messages.create",
        f"GET {account}/Messages/{{Sid}}.json": "messages.fetch",
        f"POST {account}/Calls.json": "calls.create",
        f"GET {account}/Calls/{{CallSid}}/Recordings.json": "calls.recordings.list",
        f"GET {account}/Recordings.json": "recordings.list",
        f"GET {account}/IncomingPhoneNumbers/Local.json": "incoming_phone_numbers.local.list",
        f"POST {account}/IncomingPhoneNumbers/Local.json": "incoming_phone_numbers.local.create",
        f"GET {account}/Queues.json": "queues.list",
        f"GET {account}/Queues/{{Sid}}.json": "queues.fetch",
    }


def test_dotted_tags_nest_and_meaningful_ids_drop_the_resource_words() -> None:
    spec = _spec(
        {
            "/chat.postMessage": {"post": {"operationId": "chat_postMessage", "tags": ["chat"]}},
            "/chat.delete": {"post": {"operationId": "chat_delete", "tags": ["chat"]}},
            "/conversations.list": {
                "get": {"operationId": "conversations_list", "tags": ["conversations"]}
            },
            "/conversations.history": {
                "get": {"operationId": "conversations_history", "tags": ["conversations"]}
            },
            "/admin.conversations.search": {
                "get": {
                    "operationId": "admin_conversations_search",
                    "tags": ["admin.conversations"],
                }
            },
            "/admin.conversations.restrictAccess.listGroups": {
                "get": {
                    "operationId": "admin_conversations_restrictAccess_listGroups",
                    "tags": ["admin.conversations.restrictAccess"],
                },
            },
        }
    )
    assert sorted(calls(spec).values()) == [
        "admin.conversations.restrict_access.list_groups",
        "admin.conversations.search",
        "chat.delete",
        "chat.post_message",
        "conversations.history",
        "conversations.list",
    ]


def test_namespace_tags_of_method_paths_stay_however_few_operations() -> None:
    """A cut of Slack's spec with one operation per tag named them from the paths
    (``chat_post_message.create``): each tag sat inside one top-level segment."""
    spec = _spec(
        {
            "/chat.postMessage": {"post": {"operationId": "chat_postMessage", "tags": ["chat"]}},
            "/conversations.list": {
                "get": {"operationId": "conversations_list", "tags": ["conversations"]}
            },
        }
    )
    assert calls(spec) == {
        "POST /chat.postMessage": "chat.post_message",
        "GET /conversations.list": "conversations.list",
    }


def test_tags_that_cut_across_the_paths_stay() -> None:
    spec = _spec(
        {
            "/repos/{owner}/{repo}": {"get": {"operationId": "repos/get", "tags": ["repos"]}},
            "/orgs/{org}/repos": {"get": {"operationId": "repos/list-for-org", "tags": ["repos"]}},
            "/repos/{owner}/{repo}/actions/runs": {
                "get": {"operationId": "actions/list-workflow-runs-for-repo", "tags": ["actions"]}
            },
            "/orgs/{org}/actions/secrets": {
                "get": {"operationId": "actions/list-org-secrets", "tags": ["actions"]}
            },
            "/repos/{owner}/{repo}/issues/{issue_number}/labels": {
                "get": {"operationId": "issues/list-labels-on-issue", "tags": ["issues"]}
            },
            "/repos/{owner}/{repo}/stacks/{n}/add": {
                "post": {"operationId": "pull-request-stacks/add", "tags": ["pulls"]}
            },
        }
    )
    assert calls(spec) == {
        "GET /repos/{owner}/{repo}": "repos.get",
        "GET /orgs/{org}/repos": "repos.list_for_org",
        "GET /repos/{owner}/{repo}/actions/runs": "actions.list_workflow_runs_for_repo",
        "GET /orgs/{org}/actions/secrets": "actions.list_org_secrets",
        "GET /repos/{owner}/{repo}/issues/{issue_number}/labels": "issues.list_labels",
        # another namespace stays whole
        "POST /repos/{owner}/{repo}/stacks/{n}/add": "pulls.pull_request_stacks_add",
    }


def test_tags_that_repeat_the_paths_give_way_to_them() -> None:
    """OpenAI's "Vector stores" is /vector_stores: the paths group the same way, and nest."""
    spec = _spec(
        {
            "/vector_stores": {
                "post": {"operationId": "createVectorStore", "tags": ["Vector stores"]}
            },
            "/vector_stores/{vector_store_id}/files": {
                "get": {"operationId": "listVectorStoreFiles", "tags": ["Vector stores"]}
            },
            "/vector_stores/{vector_store_id}/file_batches/{batch_id}/files": {
                "get": {"operationId": "listFilesInVectorStoreBatch", "tags": ["Vector stores"]}
            },
            "/chat/completions": {
                "post": {"operationId": "createChatCompletion", "tags": ["Chat"]}
            },
            "/organization/invites": {"post": {"operationId": "inviteUser", "tags": ["Invites"]}},
            "/models": {"get": {"operationId": "listModels", "tags": ["Models"]}},
        }
    )
    assert calls(spec) == {
        "POST /vector_stores": "vector_stores.create",
        "GET /vector_stores/{vector_store_id}/files": "vector_stores.files.list",
        "GET /vector_stores/{vector_store_id}/file_batches/{batch_id}/files": (
            "vector_stores.file_batches.files.list"
        ),
        "POST /chat/completions": "chat.completions.create",
        "POST /organization/invites": "organization.invites.create",  # "user" is no verb
        "GET /models": "models.list",
    }


def test_collisions_are_resolved_by_context_not_by_a_counter() -> None:
    spec = _spec(
        {
            "/tasks": {"get": {"operationId": "getTasks", "tags": ["Tasks"]}},
            "/tasks/{task_gid}": {"get": {"operationId": "getTask", "tags": ["Tasks"]}},
            "/projects/{project_gid}/tasks": {
                "get": {"operationId": "getTasksForProject", "tags": ["Tasks"]}
            },
            "/projects/{project_gid}": {"get": {"operationId": "getProject", "tags": ["Projects"]}},
            "/users/{user_gid}/projects": {
                "get": {"operationId": "getProjectsForUser", "tags": ["Projects"]}
            },
            "/workspaces/{workspace_gid}/projects": {
                "get": {"operationId": "getProjectsForWorkspace", "tags": ["Projects"]}
            },
        }
    )
    assert calls(spec) == {
        "GET /tasks": "tasks.list",
        "GET /tasks/{task_gid}": "tasks.retrieve",
        "GET /projects/{project_gid}/tasks": "tasks.list_for_project",
        "GET /projects/{project_gid}": "projects.retrieve",
        "GET /users/{user_gid}/projects": "projects.list_for_user",
        "GET /workspaces/{workspace_gid}/projects": "projects.list_for_workspace",
    }


def test_the_plainest_operation_keeps_a_shared_name() -> None:
    spec = _spec(
        {
            "/clients/stats": {"get": "GET_clients-stats"},
            "/clients/{client_type}/stats": {"get": "GET_clients-client_type-stats"},
            "/threads/runs": {"post": "createThreadAndRun"},
            "/threads/{thread_id}/runs": {"post": "createRun"},
            "/responses": {"post": "createResponse"},
            "/responses?beta=true": {"post": "beta_createResponse"},
        }
    )
    assert calls(spec) == {
        "GET /clients/stats": "clients.stats.list",
        "GET /clients/{client_type}/stats": "clients.stats.list_for_client",
        "POST /threads/{thread_id}/runs": "threads.runs.create",  # its operationId loses one word
        "POST /threads/runs": "threads.runs.create_thread",
        "POST /responses": "responses.create",
        "POST /responses?beta=true": "responses.beta_create",
    }


def test_assign_names_never_numbers_while_context_is_left() -> None:
    assert assign_names([["get", "list"], ["get", "retrieve"]], set()) == ["list", "retrieve"]
    assert assign_names([["get", "list"], ["get", "retrieve"]], set(), [(0,), (1,)]) == [
        "get",
        "retrieve",
    ]
    assert assign_names([["list"], ["list"]], {"sources"}) == [
        "list_2",
        "list_3",
    ]  # nothing left: the last resort
    assert assign_names([["sources", "list"]], {"sources"}) == ["list"]


@pytest.mark.parametrize(
    "op_id, method, path, expected",
    [
        ("GetCustomersCustomer", "get", "/v1/customers/{customer}", True),
        ("PostPaymentIntentsIntentConfirm", "post", "/v1/payment_intents/{intent}/confirm", True),
        ("GET_contactdb-recipients-search", "get", "/contactdb/recipients/search", True),
        ("get_files_id", "get", "/files/{file_id}", True),
        ("GET_mc-contacts-count", "get", "/marketing/contacts/count", True),
        ("getTasks", "get", "/tasks", True),
        ("createChatCompletion", "post", "/chat/completions", False),
        ("ListMessage", "get", "/Accounts/{AccountSid}/Messages.json", False),
        ("patchWidgetLegacy", "patch", "/widgets/{id}", False),
        ("repos/get", "get", "/repos/{owner}/{repo}", False),
    ],
)
def test_operation_ids_that_mirror_method_and_path(
    op_id: str, method: str, path: str, expected: bool
) -> None:
    assert mirrors_path(op_id, method, path) is expected


@pytest.mark.parametrize(
    "op_id, chain, expected",
    [
        ("conversations_list", ("conversations",), ["list"]),
        ("chat_postMessage", ("chat",), ["post", "message"]),
        ("createChatCompletion", ("chat", "completions"), ["create"]),
        ("listFilesInVectorStoreBatch", ("vector_stores", "file_batches", "files"), ["list"]),
        ("addTagForTask", ("tasks",), ["add", "tag"]),
        ("FetchHealthCheck", ("healthcheck",), ["fetch"]),
        ("createProjectStatusForProject", ("project_statuses",), ["create", "for", "project"]),
    ],
)
def test_reduce_operation_id(op_id: str, chain: tuple[str, ...], expected: list[str]) -> None:
    assert reduce_operation_id(op_id, chain) == expected


def test_path_tokens_leave_out_versions_suffixes_and_queries() -> None:
    assert path_tokens("/2010-04-01/Accounts/{AccountSid}/Messages.json") == [
        (False, "Accounts"),
        (True, "AccountSid"),
        (False, "Messages"),
    ]
    assert path_tokens("/v2/files/{file_id}/thumbnail.{extension}") == [
        (False, "files"),
        (True, "file_id"),
        (False, "thumbnail"),
    ]
    assert path_tokens("/v1beta/models/{model}:generateContent") == [
        (False, "models"),
        (True, "model"),
        (False, "generateContent"),
    ]
    assert path_tokens("/responses?beta=true") == [(False, "responses")]
    assert path_tokens("/api/v3/") == []


@pytest.mark.parametrize(
    "title, url, expected",
    [
        ("GitHub's official OpenAPI spec + Octokit extension", "https://api.github.com", "github"),
        ("Stripe API", "https://api.stripe.com/", "stripe"),
        ("OpenAI API", "https://api.openai.com/v1", "openai"),
        ("Twilio - Api", "https://api.twilio.com", "twilio"),
        ("Slack Web API", "https://slack.com/api", "slack"),
        ("Email Activity (beta)", "http://api.sendgrid.com/v3", "sendgrid"),
        ("Asana", "https://app.asana.com/api/1.0", "asana"),
        ("DigitalOcean API", "https://api.digitalocean.com", "digitalocean"),
        ("Swagger Petstore - OpenAPI 3.0", "https://petstore3.swagger.io/api/v3", "petstore"),
        ("Example Shop API", "https://api.example.com/v1", "example_shop"),
        ("Widget Service REST API", "/v1", "widget"),
        ("Widget Service REST API v2 (beta)", "{scheme}://{host}/v1", "widget"),
        (
            "A very long title that says a lot about the API",
            "",
            "a_very_long_title_that_says_a_lot_about_the_api",
        ),
    ],
)
def test_default_package_names(title: str, url: str, expected: str) -> None:
    spec = {"info": {"title": title}, "servers": [{"url": url}] if url else []}
    assert default_package_name(spec) == expected


# ------------------------------------------------------------------ the names table


def _configured(names: dict[str, str]) -> dict[str, str]:
    spec, _ = apply_options(STRIPE_LIKE, Options(names=names))
    return calls(spec)


def test_names_table_overrides_method_resource_and_whole_call() -> None:
    got = _configured(
        {
            "GetCustomersCustomerSources": "all",  # a method name
            # resource and method
            "POST /v1/payment_intents/{intent}/confirm": "payments.confirm_intent",
            "resource:customers.sources": "customers.payment_sources",  # a nested resource moved
            "GetBalance": "list",  # a builtin the table may ask for
        }
    )
    assert got["GET /v1/customers/{customer}/sources"] == "customers.payment_sources.all"
    assert got["DELETE /v1/customers/{customer}/sources/{id}"] == "customers.payment_sources.delete"
    assert got["POST /v1/payment_intents/{intent}/confirm"] == "payments.confirm_intent"
    assert got["GET /v1/balance"] == "balance.list"
    assert got["GET /v1/customers"] == "customers.list"  # the rest as before


def test_names_table_tag_value_may_nest() -> None:
    spec = _spec(
        {
            "/a": {"get": {"operationId": "listA", "tags": ["alpha"]}},
            "/b": {"get": {"operationId": "listB", "tags": ["beta"]}},
            "/c/{id}/d": {"get": {"operationId": "listD", "tags": ["beta"]}},
        }
    )
    configured, _ = apply_options(spec, Options(names={"tag:beta": "alpha.beta"}))
    got = calls(configured)
    assert got["GET /b"].startswith("alpha.beta.") and got["GET /c/{id}/d"].startswith(
        "alpha.beta."
    )


def test_a_configured_subset_keeps_the_names_of_the_whole_api() -> None:
    """Left alone, GitHub's issues were one tag (not meaningful) and their paths made
    ``repos.issues.create``; Twilio's messages alone were no account scope of many."""
    github_like = _spec(
        {
            "/repos/{owner}/{repo}": {"get": {"operationId": "repos/get", "tags": ["repos"]}},
            "/orgs/{org}/repos": {"get": {"operationId": "repos/list-for-org", "tags": ["repos"]}},
            "/repos/{owner}/{repo}/issues": {
                "get": {"operationId": "issues/list-for-repo", "tags": ["issues"]},
                "post": {"operationId": "issues/create", "tags": ["issues"]},
            },
            "/repos/{owner}/{repo}/actions/runs": {
                "get": {"operationId": "actions/list-workflow-runs-for-repo", "tags": ["actions"]}
            },
        }
    )
    whole = calls(github_like)
    for options in (
        Options(include_tags=("issues",)),
        Options(include_operations=("issues/create", "issues/list-for-repo")),
    ):
        subset, excluded = apply_options(github_like, options)
        assert len(excluded) == 3
        assert calls(subset) == {
            "GET /repos/{owner}/{repo}/issues": whole["GET /repos/{owner}/{repo}/issues"],
            "POST /repos/{owner}/{repo}/issues": "issues.create",
        }
    twilio_like = _spec(
        {
            f"/2010-04-01/Accounts/{{AccountSid}}/{r}.json": {
                "get": f"List{r}",
                "post": f"Create{r}",
            }
            for r in ("Messages", "Calls", "Queues", "Recordings", "Applications", "Addresses")
        }
    )
    subset, _ = apply_options(twilio_like, Options(include_operations=("CreateMessages",)))
    assert calls(subset) == {
        "POST /2010-04-01/Accounts/{AccountSid}/Messages.json": "messages.create"
    }


def test_names_table_unknown_resource_is_an_error() -> None:
    spec, _ = apply_options(STRIPE_LIKE, Options(names={"resource:nope.sources": "x"}))
    with pytest.raises(ApigenError, match="nope.sources"):
        build_api(spec)


def test_only_a_scope_of_many_resources_is_left_out() -> None:
    """/users/{id}/posts alone is users.posts; Twilio's account scope holds dozens."""
    assert calls(_spec({"/users/{id}/posts": {"get": "listPosts"}})) == {
        "GET /users/{id}/posts": "users.posts.list"
    }


def test_deep_resources_keep_short_unique_module_names() -> None:
    deep = "/".join(f"segment{'x' * 40}{i}/{{p{i}}}" for i in range(6))
    api = build_api(_spec({f"/{deep}": {"get": "getDeep"}, f"/{deep}/more": {"get": "getMore"}}))
    modules = [r.py_name for r in api.resources]
    assert len(set(modules)) == len(modules) and max(map(len, modules)) <= 100
    assert all(m.isidentifier() for m in modules)
