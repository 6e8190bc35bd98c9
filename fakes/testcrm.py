"""``FakeTestCrm``: the CRM behind App Connect's ``testCRM`` manifest (API-key sign-in).

App Connect's test CRM signs in with one ``apiKey`` field and nothing else; its server
checks the key on every call. This fake serves the one call a sign-in makes, ``GET
/users/me``, authorised by HTTP Basic with the key as user name (as App Connect's API-key
connectors send it), and answers 401 for any other key.
"""

from __future__ import annotations

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from fakes.httpfake import FakeCrmServer, json_response


class FakeTestCrm(FakeCrmServer):
    """One account of the test CRM whose valid key is ``api_key``."""

    name = "fake-testcrm"
    public_endpoints = frozenset({"me"})

    def __init__(self, api_key: str = "test-api-key-1234") -> None:
        super().__init__()
        self.api_key = api_key
        self.user = {"id": "u-77", "name": "Tess Tester", "email": "tess@testcrm.example"}

    def routes(self) -> list[Rule]:
        return [Rule("/users/me", endpoint="me", methods=["GET"])]

    def on_me(self, request: Request) -> Response:
        auth = request.authorization
        if not auth or auth.username != self.api_key:
            return json_response({"error": "Invalid API key"}, 401)
        return json_response(self.user)
