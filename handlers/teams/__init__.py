"""Microsoft Teams: the second chat surface (bot handlers, Adaptive Cards, app package).

Which SDK, and which parts of it. We build on Microsoft's Teams SDK for Python (`microsoft-teams-api`
2.x) for the wire format: its pydantic Activity models (`ActivityTypeAdapter` for what Teams posts to
`POST /api/messages`, `ActivityParams` and `CreateConversationParams` for what we send, which the
stand-in checks the bot's requests against). They are plain, synchronous and log nothing. The rest of
both SDKs does not fit one synchronous WSGI process: the Teams SDK's app (`microsoft-teams-apps`) is a
FastAPI/uvicorn server, its token validator and API clients are async (httpx.AsyncClient); the
Microsoft 365 Agents SDK (`microsoft-agents-hosting-core`) hosts on aiohttp and its validator is async
too. Neither validator does all Microsoft's checks: neither checks key endorsements, the Agents SDK
hard-codes its key URLs by issuer and checks the issuer only when asked, and the Teams SDK derives the
key URL from the metadata URL instead of reading `jwks_uri` and also accepts `api://` audiences.
So `auth.py` validates with PyJWT's `PyJWKClient` directly (the synchronous code both SDKs wrap),
reading endorsements beside it. Both SDKs get bot tokens through MSAL, which accepts only an https
authority it discovers itself, so it cannot be pointed at a token URL we choose (or at the local
stand-in): the client-credentials request is a few lines of urllib in `auth.py`. The Agents SDK's
activity model (`microsoft-agents-activity`) is not used: it logs a failed parse at ERROR with the
input, which is the text people typed. The connector client, being async in both SDKs, is ours.
"""
