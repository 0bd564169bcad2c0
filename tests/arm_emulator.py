"""An HTTPS Azure Resource Manager emulator for Microsoft.DevTestLab 2018-09-15, on 127.0.0.1.

It answers in the shapes of the official REST API examples (azure-rest-api-specs,
specification/devtestlabs/.../2018-09-15/examples: VirtualMachines_Get/List/Start/Stop/Resize/
Claim/ListApplicableSchedules, VirtualMachineSchedules_Get/CreateOrUpdate/Delete,
Labs_ClaimAnyVm, Schedules_Get, Policies_Get, Costs_Get), runs start, stop,
resize and claim as long-running operations polled through `Azure-AsyncOperation` (and a
`Location` for the final result), and can be told to fail with ARM's error bodies (401, 403,
404, 409, 429 with Retry-After, policy violations). Its certificate is issued by a test CA
(trustme) for 127.0.0.1 only; clients trust it through `connection_verify`. The same server
plays Microsoft Entra's device-code sign-in (tests/entra_emulator.py) for azure-identity.

Fixtures: `arm` (a running emulator with one lab: my VM, a colleague's and a claimable one) and
`azure_signed_in` (devtray's config pointed at it, and the fake credential to use).
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import trustme

from tests import entra_emulator

API_VERSION = "2018-09-15"
RETAIL_PRICES_PATH = "/api/retail/prices"
SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
RESOURCE_GROUP = "dev-rg"
LAB = "devlab-westeurope"
LOCATION = "westeurope"
ME = {"oid": "11111111-1111-1111-1111-111111111111", "upn": "alice@contoso.com"}
COLLEAGUE = {"oid": "22222222-2222-2222-2222-222222222222", "upn": "bob@contoso.com"}

_LAB_PATH = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)/resourcegroups/(?P<rg>[^/]+)/providers/"
    r"microsoft\.devtestlab/labs/(?P<lab>[^/]+)(?P<rest>/.*)?$"
)
_OPERATION_PATH = re.compile(
    r"^/subscriptions/[^/]+/providers/microsoft\.devtestlab/locations/[^/]+/"
    r"(?P<kind>operations|operationresults)/(?P<id>[^/]+)$"
)


def fake_jwt(claims: dict[str, Any]) -> str:
    """A token shaped like Entra's (header.payload.signature); the signature is not real."""

    def part(data: dict[str, Any]) -> str:
        raw = json.dumps(data).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}.fake-signature"


class FakeStaticTokenCredential:
    """A test credential: always the same token, the scopes it was asked for recorded."""

    def __init__(self, claims: dict[str, Any] | None = None) -> None:
        self.token = fake_jwt({**ME, **(claims or {})})
        self.scopes: list[str] = []

    def get_token(self, *scopes: str, **_kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        self.scopes.extend(scopes)
        return AccessToken(self.token, int(time.time()) + 3600)


def vm_body(
    name: str,
    *,
    owner: dict[str, str] | None,
    size: str = "Standard_A2_v2",
    power: str = "Running",
    allow_claim: bool = False,
    fqdn: str | None = None,
    public_ip: str | None = None,
    ssh_authority: str | None = None,
    user_name: str = "azureuser",
) -> dict[str, Any]:
    """A lab VM as VirtualMachines_Get returns it (plus the expanded compute and NIC parts)."""
    network: dict[str, Any] = {"privateIpAddress": "10.0.0.4"}
    if public_ip:
        network["publicIpAddress"] = public_ip
    if ssh_authority:
        network["sshAuthority"] = ssh_authority
    properties: dict[str, Any] = {
        "ownerObjectId": (owner or {}).get("oid", ""),
        "ownerUserPrincipalName": (owner or {}).get("upn", ""),
        "createdByUserId": "",
        "createdByUser": "",
        "createdDate": "2018-10-01T16:53:02.4830866-07:00",
        "computeId": f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{LAB}-{name}-123456/"
        f"providers/Microsoft.Compute/virtualMachines/{name}",
        "osType": "Linux",
        "size": size,
        "userName": user_name,
        "labSubnetName": "devlabSubnet",
        "labVirtualNetworkId": f"/subscriptions/{SUBSCRIPTION}/resourcegroups/{RESOURCE_GROUP}/"
        f"providers/microsoft.devtestlab/labs/{LAB}/virtualnetworks/devlab",
        "disallowPublicIpAddress": public_ip is None,
        "artifactDeploymentStatus": {"artifactsApplied": 0, "totalArtifacts": 0},
        "galleryImageReference": {
            "offer": "UbuntuServer",
            "publisher": "Canonical",
            "sku": "16.04-LTS",
            "osType": "Linux",
            "version": "Latest",
        },
        "networkInterface": network,
        "computeVm": {"statuses": [], "osType": "Linux", "vmSize": size},
        "allowClaim": allow_claim,
        "storageType": "Standard",
        "virtualMachineCreationSource": "FromGalleryImage",
        "dataDiskParameters": [],
        "provisioningState": "Succeeded",
        "uniqueIdentifier": f"uid-{name}",
    }
    if fqdn:
        properties["fqdn"] = fqdn
    body = {
        "properties": properties,
        "id": f"/subscriptions/{SUBSCRIPTION}/resourcegroups/{RESOURCE_GROUP}/providers/"
        f"microsoft.devtestlab/labs/{LAB}/virtualmachines/{name}",
        "name": name,
        "type": "Microsoft.DevTestLab/labs/virtualMachines",
        "location": LOCATION,
        "tags": {"team": "payments"},
    }
    set_power(body, power)
    return body


def set_power(vm: dict[str, Any], power: str) -> None:
    """Set both places a lab VM reports its power state."""
    vm["properties"]["lastKnownPowerState"] = power
    vm["properties"]["computeVm"]["statuses"] = [
        {"code": "ProvisioningState/succeeded", "displayStatus": "Provisioning succeeded"},
        {"code": f"PowerState/{power.lower()}", "displayStatus": f"VM {power.lower()}"},
    ]


def shutdown_schedule(
    target: str, time_of_day: str = "1900", zone: str = "W. Europe Standard Time"
) -> dict[str, Any]:
    """A `LabVmsShutdown` schedule in the shape of Schedules_Get / VirtualMachineSchedules_Get."""
    return {
        "properties": {
            "status": "Enabled",
            "taskType": "LabVmsShutdownTask",
            "dailyRecurrence": {"time": time_of_day},
            "timeZoneId": zone,
            "notificationSettings": {
                "status": "Enabled",
                "timeInMinutes": 30,
                "emailRecipient": "alice@contoso.com",
                "notificationLocale": "EN",
            },
            "createdDate": "2020-12-31T18:40:48.1739018-07:00",
            "targetResourceId": target,
            "provisioningState": "Succeeded",
            "uniqueIdentifier": "4acf0408-1c10-49cb-96b7-28ce655c8320",
        },
        "id": f"{target}/schedules/LabVmsShutdown",
        "name": "LabVmsShutdown",
        "type": "Microsoft.DevTestLab/labs/schedules",
        "location": LOCATION,
    }


def vm_schedule_resource(vm_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """A VM's schedule as VirtualMachineSchedules_CreateOrUpdate answers: the PUT body plus the
    read-only fields."""
    properties = dict(body.get("properties") or {})
    properties.update(
        createdDate="2020-12-31T18:40:48.1739018-07:00",
        provisioningState="Succeeded",
        uniqueIdentifier="c5a4ef7a-4d31-4c56-8bd4-6b9c1e1ff3d1",
    )
    return {
        "properties": properties,
        "location": body.get("location", LOCATION),
        "id": f"{vm_id}/schedules/LabVmsShutdown",
        "type": "Microsoft.DevTestLab/labs/virtualMachines/schedules",
        "name": "LabVmsShutdown",
        "tags": body.get("tags", {}),
    }


def lab_cost(
    first: str, last: str, days: list[tuple[str, float, str]], resources: list[dict[str, Any]]
) -> dict[str, Any]:
    """The lab's `targetCost` report as Costs_Get answers it (the official example's fields),
    expanded with the per-day `labCostDetails` (date, cost, Reported/Projected) and the
    month-to-date `resourceCosts`."""
    lab_id = (
        f"/subscriptions/{SUBSCRIPTION}/resourcegroups/{RESOURCE_GROUP}/providers/"
        f"microsoft.devtestlab/labs/{LAB}"
    )
    return {
        "properties": {
            "targetCost": {
                "costThresholds": [],
                "status": "Enabled",
                "target": 1000,
                "cycleStartDateTime": f"{first}T00:00:00+00:00",
                "cycleEndDateTime": f"{last}T23:59:59+00:00",
                "cycleType": "CalendarMonth",
            },
            "labCostSummary": {"estimatedLabCost": sum(cost for _d, cost, _t in days)},
            "labCostDetails": [
                {"date": f"{day}T00:00:00Z", "cost": cost, "costType": kind}
                for day, cost, kind in days
            ],
            "resourceCosts": resources,
            "currencyCode": "USD",
            "startDateTime": f"{first}T00:00:00Z",
            "endDateTime": f"{last}T23:59:59Z",
            "createdDate": f"{first}T22:43:54.7253204+00:00",
            "provisioningState": "Succeeded",
            "uniqueIdentifier": "5e6e4a5e-8d4b-4a3c-9a6f-2f2c7f3b9a11",
        },
        "id": f"{lab_id}/costs/targetCost",
        "name": "targetCost",
        "type": "Microsoft.DevTestLab/labs/costs",
        "location": LOCATION,
        "tags": {},
    }


def resource_cost(vm: str, cost: float, owner: str = "alice@contoso.com") -> dict[str, Any]:
    """One `resourceCosts` entry of a lab VM (month to date)."""
    return {
        "resourcename": vm,
        "resourceUId": f"uid-{vm}",
        "resourceCost": cost,
        "resourceType": "virtualmachine",
        "resourceOwner": owner,
        "resourcePricingTier": "Standard_A2_v2",
        "resourceStatus": "Active",
        "resourceId": f"/subscriptions/{SUBSCRIPTION}/resourcegroups/{RESOURCE_GROUP}/providers/"
        f"microsoft.devtestlab/labs/{LAB}/virtualmachines/{vm}",
        "externalResourceId": f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{LAB}-{vm}-123456/"
        f"providers/Microsoft.Compute/virtualMachines/{vm}",
    }


def size_policy(sizes: list[str], status: str = "Enabled") -> dict[str, Any]:
    """The lab's `AllowedVmSizesInLab` policy in the shape of Policies_Get."""
    return {
        "properties": {
            "description": "",
            "status": status,
            "factName": "LabVmSize",
            "threshold": json.dumps(sizes),
            "evaluatorType": "AllowedValuesPolicy",
            "createdDate": "2018-10-01T18:40:48.1739018-07:00",
            "provisioningState": "Succeeded",
            "uniqueIdentifier": "policy-uid",
        },
        "id": f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{RESOURCE_GROUP}/providers/"
        f"Microsoft.DevTestLab/labs/{LAB}/policysets/default/policies/AllowedVmSizesInLab",
        "name": "AllowedVmSizesInLab",
        "type": "Microsoft.DevTestLab/labs/policySets/policies",
        "location": LOCATION,
    }


@dataclass
class Lab:
    """One lab's resources."""

    vms: dict[str, dict[str, Any]] = field(default_factory=dict)
    policy: dict[str, Any] | None = None
    schedule: dict[str, Any] | None = None
    vm_schedules: dict[str, dict[str, Any]] = field(default_factory=dict)
    costs: dict[str, Any] | None = None  # the `targetCost` report, expanded


@dataclass
class Fault:
    """Answer matching requests with an ARM error instead (for `times` requests)."""

    method: str
    path_part: str
    status: int
    code: str
    message: str
    headers: dict[str, str]
    times: int


@dataclass
class Operation:
    """A long-running operation: `polls` more InProgress answers, then done (or failed)."""

    vm: dict[str, Any] | None
    finish: Callable[[], None]
    polls: int
    error: tuple[str, str] | None = None
    status: str = "InProgress"


class ArmEmulator:
    """The emulator's state and its HTTPS server."""

    def __init__(self, ca: trustme.CA, ca_path: Path, token: str) -> None:
        self.ca_path = ca_path
        self.token = token
        self.labs: dict[tuple[str, str, str], Lab] = {}
        self.requests: list[tuple[str, str]] = []
        self.grants: list[str] = []  # OAuth grant types asked of the emulated Entra, in order
        self.faults: list[Fault] = []
        self.operation_polls = 2
        self.operation_errors: dict[str, tuple[str, str]] = {}
        # The public Retail Prices API (prices.azure.com), served on the same host.
        self.retail_prices: list[dict[str, Any]] = []
        self.retail_page_size = 2
        # (status, HTML page) to answer instead: a failing API or a proxy's page.
        self.retail_prices_page: tuple[int, str] | None = None
        self._operations: dict[str, Operation] = {}
        self._ids = itertools.count(1)
        self.lock = threading.RLock()
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1").configure_cert(context)
        handler = type("Handler", (_Handler,), {"emulator": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.base_url = f"https://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def lab(self, name: str = LAB) -> Lab:
        return self.labs.setdefault((SUBSCRIPTION, RESOURCE_GROUP.lower(), name.lower()), Lab())

    def fail(
        self,
        method: str,
        path_part: str,
        status: int,
        code: str,
        message: str = "refused by the emulator",
        *,
        headers: dict[str, str] | None = None,
        times: int = 1,
    ) -> None:
        """Make the next `times` requests whose path contains `path_part` fail."""
        self.faults.append(
            Fault(method, path_part.lower(), status, code, message, headers or {}, times)
        )

    def calls(self, method: str | None = None, part: str = "") -> list[str]:
        """Paths of the requests received so far (optionally only one method / path part)."""
        with self.lock:
            return [
                path
                for verb, path in self.requests
                if (method is None or verb == method) and part.lower() in path.lower()
            ]

    # -- long-running operations --------------------------------------------------------------

    def begin(self, vm: dict[str, Any] | None, kind: str, finish: Callable[[], None]) -> str:
        operation_id = f"op-{next(self._ids)}"
        self._operations[operation_id] = Operation(
            vm, finish, self.operation_polls, self.operation_errors.pop(kind, None)
        )
        if vm is not None:
            vm["_busy"] = operation_id
        return operation_id

    def poll(self, operation_id: str) -> Operation | None:
        operation = self._operations.get(operation_id)
        if operation is None or operation.status != "InProgress":
            return operation
        if operation.polls > 0:
            operation.polls -= 1
            return operation
        if operation.error is None:
            operation.finish()
            operation.status = "Succeeded"
        else:
            operation.status = "Failed"
        if operation.vm is not None:
            operation.vm.pop("_busy", None)
        return operation


class _Handler(BaseHTTPRequestHandler):
    emulator: ArmEmulator
    protocol_version = "HTTP/1.1"
    query: dict[str, list[str]]  # the current request's query string

    def log_message(self, format: str, *args: Any) -> None:
        return  # keep test output clean

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _reply(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-ms-request-id", "emulated")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _page(self, status: int, html: str) -> None:
        data = html.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _error(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        self._reply(status, {"error": {"code": code, "message": message}}, headers)

    def _dispatch(self, method: str) -> None:
        emulator = self.emulator
        url = urlsplit(self.path)
        path = url.path.rstrip("/")
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        with emulator.lock:
            emulator.requests.append((method, path))
            if path == RETAIL_PRICES_PATH and method == "GET" and emulator.retail_prices_page:
                self._page(*emulator.retail_prices_page)
                return
            if path == RETAIL_PRICES_PATH and method == "GET":
                self._retail_prices(parse_qs(url.query))
                return
            if entra_emulator.is_sign_in_path(path):
                grant = parse_qs(raw.decode()).get("grant_type")
                if grant:
                    emulator.grants.extend(grant)
                answer = entra_emulator.answer(path, raw, emulator.base_url, emulator.token, ME)
                self._reply(200, answer)
                return
            if self.headers.get("Authorization") != f"Bearer {emulator.token}":
                self._error(401, "ExpiredAuthenticationToken", "The access token has expired.")
                return
            if parse_qs(url.query).get("api-version") != [API_VERSION]:
                self._error(400, "InvalidApiVersionParameter", "Unsupported api-version.")
                return
            for fault in emulator.faults:
                if fault.method == method and fault.path_part in path.lower() and fault.times > 0:
                    fault.times -= 1
                    self._error(fault.status, fault.code, fault.message, fault.headers)
                    return
            self.query = parse_qs(url.query)
            self._route(method, path.lower(), path, json.loads(raw) if raw else None)

    def _retail_prices(self, query: dict[str, list[str]]) -> None:
        """One page of the items matching the $filter's region and size, with NextPageLink."""
        emulator = self.emulator
        odata = query.get("$filter", [""])[0]
        terms = dict(re.findall(r"(\w+) eq '([^']*)'", odata))
        if "priceType" in terms:  # the filter's priceType is the items' type
            terms["type"] = terms.pop("priceType")
        matching = [
            item
            for item in emulator.retail_prices
            if all(str(item.get(key)) == value for key, value in terms.items())
        ]
        skip = int(query.get("$skip", ["0"])[0])
        page = matching[skip : skip + emulator.retail_page_size]
        after = skip + emulator.retail_page_size
        port = emulator.server.server_address[1]
        link = (
            f"https://127.0.0.1:{port}{RETAIL_PRICES_PATH}?"
            + urlencode({"$filter": odata, "$skip": after})
            if after < len(matching)
            else None
        )
        self._reply(
            200,
            {
                "BillingCurrency": "USD",
                "CustomerEntityId": "Default",
                "CustomerEntityType": "Retail",
                "Items": page,
                "NextPageLink": link,
                "Count": len(page),
            },
        )

    def _route(self, method: str, path: str, original: str, body: Any) -> None:
        emulator = self.emulator
        operation = _OPERATION_PATH.match(path)
        if operation and method == "GET":
            self._operation_status(operation.group("kind"), original.rsplit("/", 1)[1])
            return
        match = _LAB_PATH.match(path)
        lab = emulator.labs.get((match["sub"], match["rg"], match["lab"])) if match else None
        if match is None or lab is None:
            self._error(404, "ResourceNotFound", f"The resource {original} was not found.")
            return
        rest = (match["rest"] or "").strip("/").split("/") if match["rest"] else []
        if rest == ["virtualmachines"] and method == "GET":
            vms = [_public(vm) for vm in lab.vms.values()]
            self._reply(200, {"value": vms})
        elif (
            rest == ["policysets", "default", "policies", "allowedvmsizesinlab"] and method == "GET"
        ):
            if lab.policy is None:
                self._error(404, "ResourceNotFound", "The policy was not found.")
            else:
                self._reply(200, lab.policy)
        elif rest == ["costs", "targetcost"] and method == "GET":
            self._costs(lab)
        elif rest == ["claimanyvm"] and method == "POST":
            self._claim_any(lab)
        elif len(rest) >= 2 and rest[0] == "virtualmachines":
            vm = next((v for k, v in lab.vms.items() if k.lower() == rest[1]), None)
            if vm is None:
                self._error(404, "ResourceNotFound", f"The VM {rest[1]} was not found.")
            elif len(rest) == 2 and method == "GET":
                self._reply(200, _public(vm))
            elif len(rest) == 3 and method == "POST":
                self._vm_action(lab, vm, rest[2], body)
            elif rest[2:] == ["schedules", "labvmsshutdown"]:
                self._vm_schedule(lab, vm, method, body)
            else:
                self._error(404, "ResourceNotFound", f"No route for {method} {original}.")
        else:
            self._error(404, "ResourceNotFound", f"No route for {method} {original}.")

    def _vm_action(self, lab: Lab, vm: dict[str, Any], action: str, body: Any) -> None:
        emulator = self.emulator
        if action == "listapplicableschedules":
            schedule = lab.vm_schedules.get(vm["name"]) or lab.schedule
            properties = {"labVmsShutdown": schedule} if schedule else {}
            self._reply(200, {"properties": properties})
            return
        if action not in ("start", "stop", "resize", "claim"):
            self._error(404, "ResourceNotFound", f"No action {action}.")
            return
        if vm.get("_busy"):
            self._error(409, "Conflict", "There is already an operation in progress on the VM.")
            return
        properties = vm["properties"]
        if action == "start":
            set_power(vm, "Starting")
            finish: Callable[[], None] = lambda: set_power(vm, "Running")  # noqa: E731
        elif action == "stop":
            set_power(vm, "Deallocating")
            finish = lambda: set_power(vm, "Deallocated")  # noqa: E731
        elif action == "resize":
            size = (body or {}).get("size")
            allowed = json.loads(lab.policy["properties"]["threshold"]) if lab.policy else None
            if allowed is not None and size not in allowed:
                self._error(400, "PolicyViolation", f"The size {size} is not allowed in this lab.")
                return

            def finish() -> None:
                properties["size"] = size
                properties["computeVm"]["vmSize"] = size

        else:
            if not properties.get("allowClaim") or properties.get("ownerObjectId"):
                self._error(409, "Conflict", "The VM cannot be claimed.")
                return
            finish = lambda: _take(vm, self._claims())  # noqa: E731
        self._accepted(emulator.begin(vm, action, finish))

    def _vm_schedule(self, lab: Lab, vm: dict[str, Any], method: str, body: Any) -> None:
        """VirtualMachineSchedules_Get / CreateOrUpdate / Delete.

        A PUT replaces the whole schedule and answers 201 when it created it. (Update, a PATCH,
        changes only tags in the official API, so devtray never uses it.)
        """
        name = vm["name"]
        schedule = lab.vm_schedules.get(name)
        if method == "GET":
            if schedule is None:
                self._error(404, "ResourceNotFound", f"The schedule of {name} was not found.")
            else:
                self._reply(200, schedule)
        elif method == "PUT":
            created = schedule is None
            lab.vm_schedules[name] = vm_schedule_resource(vm["id"], body or {})
            self._reply(201 if created else 200, lab.vm_schedules[name])
        elif method == "DELETE":
            lab.vm_schedules.pop(name, None)
            self._reply(200 if schedule is not None else 204)
        else:
            self._error(404, "ResourceNotFound", f"The schedule of {name} was not found.")

    def _costs(self, lab: Lab) -> None:
        """Costs_Get: labCostDetails and resourceCosts only when `$expand` asks for them."""
        if lab.costs is None:
            self._error(404, "ResourceNotFound", "The cost targetCost was not found.")
            return
        expand = self.query.get("$expand", [""])[0].casefold()
        properties = {
            key: value
            for key, value in lab.costs["properties"].items()
            if key not in ("labCostDetails", "resourceCosts") or key.casefold() in expand
        }
        self._reply(200, {**lab.costs, "properties": properties})

    def _claim_any(self, lab: Lab) -> None:
        free = [
            vm
            for vm in lab.vms.values()
            if vm["properties"].get("allowClaim") and not vm["properties"].get("ownerObjectId")
        ]
        if not free:
            self._error(404, "NoClaimableVm", "There are no claimable VMs in the lab.")
            return
        claims = self._claims()
        self._accepted(self.emulator.begin(None, "claim", lambda: _take(free[0], claims)))

    def _claims(self) -> dict[str, Any]:
        token = self.headers["Authorization"].split(" ", 1)[1]
        payload = token.split(".")[1]
        return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))

    def _accepted(self, operation_id: str) -> None:
        base = (
            f"{self.emulator.base_url}/subscriptions/{SUBSCRIPTION}/providers/"
            f"Microsoft.DevTestLab/locations/{LOCATION}"
        )
        query = f"?api-version={API_VERSION}"
        self._reply(
            202,
            None,
            {
                "Azure-AsyncOperation": f"{base}/operations/{operation_id}{query}",
                "Location": f"{base}/operationResults/{operation_id}{query}",
            },
        )

    def _operation_status(self, kind: str, operation_id: str) -> None:
        operation = self.emulator.poll(operation_id)
        if operation is None:
            self._error(404, "ResourceNotFound", f"No operation {operation_id}.")
        elif kind == "operationresults":
            self._reply(202 if operation.status == "InProgress" else 204)
        else:
            status: dict[str, Any] = {
                "id": operation_id,
                "name": operation_id,
                "status": operation.status,
            }
            if operation.error is not None:
                status["error"] = {"code": operation.error[0], "message": operation.error[1]}
            self._reply(200, status)


def _public(vm: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in vm.items() if not key.startswith("_")}


def _take(vm: dict[str, Any], claims: dict[str, Any]) -> None:
    vm["properties"]["ownerObjectId"] = claims.get("oid", "")
    vm["properties"]["ownerUserPrincipalName"] = claims.get("upn", "")


def retail_price(
    size: str, region: str, price: float, *, windows: bool = False, sku: str = ""
) -> dict[str, Any]:
    """One Retail Prices API item in the documented shape (a VM meter, per hour)."""
    series = "Virtual Machines DSv3 Series" + (" Windows" if windows else "")
    sku_name = sku or size.removeprefix("Standard_").replace("_", " ")
    return {
        "currencyCode": "USD",
        "tierMinimumUnits": 0.0,
        "retailPrice": price,
        "unitPrice": price,
        "armRegionName": region,
        "location": "EU West",
        "effectiveStartDate": "2024-01-01T00:00:00Z",
        "meterId": f"meter-{size}-{sku_name}-{windows}",
        "meterName": sku_name,
        "productId": "DZH318Z0BQ4V",
        "skuId": "DZH318Z0BQ4V/00Q4",
        "productName": series,
        "skuName": sku_name,
        "serviceName": "Virtual Machines",
        "serviceId": "DZH313Z7MMC8",
        "serviceFamily": "Compute",
        "unitOfMeasure": "1 Hour",
        "type": "Consumption",
        "isPrimaryMeterRegion": True,
        "armSkuName": size,
    }


def retail_disk_price(
    tier: str, region: str, price: float, *, product: str = "Standard HDD Managed Disks"
) -> dict[str, Any]:
    """A managed disk's monthly meter in the Retail Prices API's documented item shape."""
    kind = "Disks" if product.startswith("Standard HDD") else "LRS Disk"
    return {
        **retail_price("", region, price),
        "meterId": f"meter-disk-{tier}-{region}",
        "meterName": f"{tier} {kind}",
        "productId": "DZH317F1HKN0",
        "skuId": "DZH317F1HKN0/000V",
        "productName": product,
        "skuName": f"{tier} LRS",
        "serviceName": "Storage",
        "serviceId": "DZH317F1HKN0",
        "serviceFamily": "Storage",
        "unitOfMeasure": "1/Month",
    }


def write_azure_config(config_file: Path, arm: ArmEmulator) -> None:
    """A config whose [azure] points at the emulator, for Resource Manager and for sign-in."""
    config_file.write_text(
        f"""
[azure]
subscription = "{SUBSCRIPTION}"
resource_group = "{RESOURCE_GROUP}"
lab = "{LAB}"
arm_endpoint = "{arm.base_url}"
authority = "{arm.base_url}"
prices_url = "{arm.base_url}{RETAIL_PRICES_PATH}"

[polling]
fast_seconds = 0.05
""",
        encoding="utf-8",
    )


@pytest.fixture
def azure_signed_in(arm: ArmEmulator, config_file: Path) -> FakeStaticTokenCredential:
    """Config for the emulator's lab written; the credential that signs me in to it."""
    write_azure_config(config_file, arm)
    return FakeStaticTokenCredential()


@pytest.fixture(scope="session")
def arm_ca(tmp_path_factory: pytest.TempPathFactory) -> tuple[trustme.CA, Path]:
    """A test certificate authority and its PEM file (once per session: key generation is slow)."""
    ca = trustme.CA()
    path = tmp_path_factory.mktemp("arm-ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return ca, path


@pytest.fixture
def arm(arm_ca: tuple[trustme.CA, Path]) -> Iterator[ArmEmulator]:
    """A running emulator: one lab with my running VM, a colleague's and a claimable one."""
    ca, ca_path = arm_ca
    emulator = ArmEmulator(ca, ca_path, FakeStaticTokenCredential().token)
    lab = emulator.lab()
    lab.vms["alice-vm"] = vm_body(
        "alice-vm", owner=ME, fqdn="alice-vm.westeurope.cloudapp.azure.com", public_ip="20.1.2.3"
    )
    lab.vms["bob-vm"] = vm_body("bob-vm", owner=COLLEAGUE, fqdn="bob-vm.example")
    lab.vms["pool-vm-1"] = vm_body("pool-vm-1", owner=None, allow_claim=True, power="Deallocated")
    lab.policy = size_policy(["Standard_A2_v2", "Standard_A4_v2", "Standard_D4s_v3"])
    lab.schedule = shutdown_schedule(
        f"/subscriptions/{SUBSCRIPTION}/resourcegroups/{RESOURCE_GROUP}/providers/"
        f"microsoft.devtestlab/labs/{LAB}"
    )
    emulator.start()
    try:
        yield emulator
    finally:
        emulator.stop()
