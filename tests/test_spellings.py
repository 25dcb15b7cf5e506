"""The ten integrations read like their official SDKs: ``client.<resource>.<method>``.

The IR of each real document in specs/real/ (no package is generated: names are all
decided in the IR), checked against a table of spellings a person would write.
bench/sdk_spellings.py prints the official SDKs' calls beside these.
"""

from __future__ import annotations

import gzip
import statistics
from pathlib import Path

import pytest

from apigen.build import build_api
from apigen.ir import Api
from apigen.loader import load
from apigen.normalize import normalize

REAL = Path(__file__).resolve().parents[1] / "specs" / "real"

SPECS = {
    "github": "api.github.com.json.gz",
    "stripe": "stripe.com.json.gz",
    "openai": "openai-openapi.json.gz",
    "twilio": "twilio.com.api.json.gz",
    "slack": "slack.com.json.gz",
    "sendgrid": "sendgrid.com.json.gz",
    "zoom": "zoom.us.json.gz",
    "box": "box.com.json.gz",
    "asana": "asana.com.json.gz",
    "digitalocean": "digitalocean.com.json.gz",
}

# api -> (spelling after `client.`, the operation as "METHOD /path")
SPELLINGS: dict[str, list[tuple[str, str]]] = {
    "stripe": [
        ("customers.create", "POST /v1/customers"),
        ("customers.retrieve", "GET /v1/customers/{customer}"),
        ("customers.list", "GET /v1/customers"),
        ("customers.update", "POST /v1/customers/{customer}"),
        ("customers.search", "GET /v1/customers/search"),
        ("customers.sources.list", "GET /v1/customers/{customer}/sources"),
        ("payment_intents.create", "POST /v1/payment_intents"),
        ("payment_intents.confirm", "POST /v1/payment_intents/{intent}/confirm"),
        ("payment_intents.capture", "POST /v1/payment_intents/{intent}/capture"),
        ("refunds.create", "POST /v1/refunds"),
        ("checkout.sessions.create", "POST /v1/checkout/sessions"),
        ("balance.retrieve", "GET /v1/balance"),
    ],
    "twilio": [
        ("messages.create", "POST /2010-04-01/Accounts/{AccountSid}/Messages.json"),
        ("messages.list", "GET /2010-04-01/Accounts/{AccountSid}/Messages.json"),
        ("messages.fetch", "GET /2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json"),
        ("calls.create", "POST /2010-04-01/Accounts/{AccountSid}/Calls.json"),
        (
            "calls.recordings.list",
            "GET /2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}/Recordings.json",
        ),
        (
            "incoming_phone_numbers.local.list",
            "GET /2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/Local.json",
        ),
    ],
    "openai": [
        ("chat.completions.create", "POST /chat/completions"),
        ("embeddings.create", "POST /embeddings"),
        ("responses.create", "POST /responses"),
        ("models.list", "GET /models"),
        ("models.retrieve", "GET /models/{model}"),
        ("files.create", "POST /files"),
        ("fine_tuning.jobs.create", "POST /fine_tuning/jobs"),
        ("fine_tuning.jobs.cancel", "POST /fine_tuning/jobs/{fine_tuning_job_id}/cancel"),
        ("audio.transcriptions.create", "POST /audio/transcriptions"),
        ("vector_stores.files.list", "GET /vector_stores/{vector_store_id}/files"),
    ],
    "github": [
        ("repos.get", "GET /repos/{owner}/{repo}"),
        ("repos.list_for_org", "GET /orgs/{org}/repos"),
        ("issues.create", "POST /repos/{owner}/{repo}/issues"),
        ("issues.list_for_repo", "GET /repos/{owner}/{repo}/issues"),
        ("pulls.create", "POST /repos/{owner}/{repo}/pulls"),
        ("users.get_authenticated", "GET /user"),
        ("search.repos", "GET /search/repositories"),
        ("git.create_ref", "POST /repos/{owner}/{repo}/git/refs"),
    ],
    "slack": [
        ("chat.post_message", "POST /chat.postMessage"),
        ("conversations.list", "GET /conversations.list"),
        ("conversations.history", "GET /conversations.history"),
        ("users.info", "GET /users.info"),
        ("reactions.add", "POST /reactions.add"),
        ("admin.conversations.search", "GET /admin.conversations.search"),
    ],
    "sendgrid": [
        ("mail.send", "POST /mail/send"),
        ("templates.create", "POST /templates"),
        ("api_keys.list", "GET /api_keys"),
        ("suppression.bounces.list", "GET /suppression/bounces"),
        ("marketing.contacts.list", "GET /marketing/contacts"),
        ("stats.list", "GET /stats"),
    ],
    "zoom": [
        ("users.list", "GET /users"),
        ("users.retrieve", "GET /users/{userId}"),
        ("users.meetings.create", "POST /users/{userId}/meetings"),
        ("meetings.retrieve", "GET /meetings/{meetingId}"),
        ("meetings.update", "PATCH /meetings/{meetingId}"),
        ("meetings.registrants.list", "GET /meetings/{meetingId}/registrants"),
    ],
    "box": [
        ("files.retrieve", "GET /files/{file_id}"),
        ("files.copy", "POST /files/{file_id}/copy"),
        ("files.content.retrieve", "GET /files/{file_id}/content"),
        ("folders.create", "POST /folders"),
        ("folders.items.list", "GET /folders/{folder_id}/items"),
        ("users.me", "GET /users/me"),
    ],
    "asana": [
        ("tasks.create", "POST /tasks"),
        ("tasks.retrieve", "GET /tasks/{task_gid}"),
        ("tasks.update", "PUT /tasks/{task_gid}"),
        ("tasks.list_for_project", "GET /projects/{project_gid}/tasks"),
        ("tasks.add_tag", "POST /tasks/{task_gid}/addTag"),
        ("projects.list", "GET /projects"),
    ],
    "digitalocean": [
        ("droplets.create", "POST /v2/droplets"),
        ("droplets.list", "GET /v2/droplets"),
        ("droplets.destroy", "DELETE /v2/droplets/{droplet_id}"),
        ("droplets.actions.post", "POST /v2/droplets/{droplet_id}/actions"),
        ("domains.records.create", "POST /v2/domains/{domain_name}/records"),
        ("kubernetes.clusters.list", "GET /v2/kubernetes/clusters"),
    ],
}

PACKAGES = {name: name for name in SPECS}


@pytest.fixture(scope="module")
def apis(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Api]:
    root = tmp_path_factory.mktemp("spellings")
    out = {}
    for name, file in SPECS.items():
        path = root / file.removesuffix(".gz")
        path.write_bytes(gzip.decompress((REAL / file).read_bytes()))
        out[name] = build_api(normalize(load(str(path))))
    return out


def _calls(api: Api) -> dict[str, str]:
    return {
        f"{op.method} {op.path}": f"{r.dotted}.{op.py_name}"
        for r in api.resources
        for op in r.operations
    }


@pytest.mark.parametrize("name", sorted(SPECS))
def test_spellings_read_like_the_official_sdk(name: str, apis: dict[str, Api]) -> None:
    calls = _calls(apis[name])
    wrong = {
        where: (calls.get(where), want)
        for want, where in SPELLINGS[name]
        if calls.get(where) != want
    }
    assert not wrong, wrong


@pytest.mark.parametrize("name", sorted(SPECS))
def test_default_package_name(name: str, apis: dict[str, Api]) -> None:
    assert apis[name].package == PACKAGES[name]


def test_no_method_ends_with_an_underscore_and_paths_stay_short(apis: dict[str, Api]) -> None:
    everything = []
    for name, api in apis.items():
        calls = list(_calls(api).values())
        assert not [c for c in calls if c.endswith("_")], name
        # no call spelled twice, and nothing numbered
        assert len(set(calls)) == len(calls), name
        assert not [c for c in calls if c.rsplit(".", 1)[1][-1].isdigit() and "_2" in c], name
        everything += calls
    assert statistics.median(len(c) for c in everything) < 30


def test_no_resource_holds_a_whole_api(apis: dict[str, Api]) -> None:
    """Stripe's 452 operations used to sit in one resource (51,787 lines); the largest
    resource of the ten now is GitHub's `repos` (its tag, 204 operations)."""
    for name, api in apis.items():
        biggest = max(len(r.operations) for r in api.resources)
        assert biggest <= max(0.2 * len(api.operations), 30), (name, biggest)
