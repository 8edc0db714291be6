package dev.purser.settlement.credentials;

import static org.assertj.core.api.Assertions.assertThat;

import dev.purser.settlement.support.Api;
import dev.purser.settlement.support.PurserTestBase;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Least authority over HTTP: who is let in at all (401), what each scope may do (403), that an
 * agent never sees another agent's holds (404), and that secrets are shown once and kept hashed.
 */
class AccessTest extends PurserTestBase {

    private static final String CAPS = "\"per_transaction_limit\":\"10\",\"daily_limit\":\"50\"";

    private static String spend(String amount) {
        return "{\"amount\":\"" + amount + "\",\"merchant\":\"" + MERCHANT + "\"}";
    }

    private static void assertError(Api.Response r, int status, String code) {
        assertThat(r.status()).as(r.toString()).isEqualTo(status);
        assertThat(r.<Boolean>json("$.ok")).isFalse();
        assertThat(r.string("$.error.code")).as(r.toString()).isEqualTo(code);
    }

    private Api.Response bearer(String method, String path, String authorizationHeader) {
        var request = java.net.http.HttpRequest.newBuilder(java.net.URI.create(api().baseUrl() + path))
                .timeout(Duration.ofSeconds(30))
                .method(method, java.net.http.HttpRequest.BodyPublishers.noBody());
        if (authorizationHeader != null) {
            request.header("Authorization", authorizationHeader);
        }
        var r = dev.purser.settlement.support.Http.send(request.build());
        return new Api.Response(r.statusCode(), r.body(), r.headers());
    }

    private String credentialIdOf(String secret) {
        return api().get("/v1/me", secret).string("$.data.credential.id");
    }

    private List<Map<String, Object>> credentialsOf(String agentId) {
        Api.Response r = api().get("/v1/agents/" + agentId + "/credentials", ADMIN);
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        return r.json("$.data.items");
    }

    private Map<String, Object> listedCredential(String agentId, String credentialId) {
        return credentialsOf(agentId).stream().filter(c -> credentialId.equals(c.get("id"))).findFirst().orElseThrow();
    }

    @Test
    void refusesMissingGarbageAndUnknownBearerSecretsWithUnauthenticated() {
        String unknown = "psr_agent_" + "A".repeat(43);
        String unknownAdmin = ADMIN.substring(0, ADMIN.length() - 1) + "X";
        for (String header : new String[] {null, "", "Bearer", "Bearer ", "Bearer garbage", "Basic " + ADMIN,
                "Bearer " + unknown, "Bearer " + unknownAdmin, "Bearer psr_", "Bearer " + ADMIN + " extra"}) {
            for (String[] call : new String[][] {{"GET", "/v1/me"}, {"GET", "/v1/agents"}, {"POST", "/v1/authorizations"},
                    {"GET", "/v1/authorizations/auth_0"}}) {
                Api.Response r = bearer(call[0], call[1], header);
                assertError(r, 401, "unauthenticated");
                assertThat(r.header("X-Request-Id")).isNotBlank();
            }
        }
        // The same secret in a well-formed header is let in: the refusals above are about the secret.
        assertThat(bearer("GET", "/v1/agents", "Bearer " + ADMIN).status()).isEqualTo(200);
        assertThat(bearer("GET", "/v1/agents", "bearer " + ADMIN).status()).isEqualTo(200);
    }

    @Test
    void refusesAnAgentCredentialOnOperatorEndpoints() {
        Funded agent = fundedAgent(CAPS, 0);
        assertError(api().post("/v1/agents", agent.secret(), "{\"name\":\"sneaky\"}"), 403, "forbidden");
        assertError(api().get("/v1/agents", agent.secret()), 403, "forbidden");
        assertError(api().get("/v1/agents/" + agent.agentId(), agent.secret()), 403, "forbidden");
        assertError(api().get("/v1/approvals", agent.secret()), 403, "forbidden");
        assertError(api().post("/v1/credentials", agent.secret(), "{\"scope\":\"admin\",\"label\":\"mine now\"}"), 403, "forbidden");
        assertError(api().post("/v1/agents/" + agent.agentId() + "/credentials", agent.secret(), "{" + CAPS + "}"), 403,
                "forbidden");
        assertError(api().get("/v1/agents/" + agent.agentId() + "/credentials", agent.secret()), 403, "forbidden");
        assertError(api().patch("/v1/credentials/" + credentialIdOf(agent.secret()), agent.secret(),
                "{\"daily_limit\":\"1000000\"}"), 403, "forbidden");
        assertError(api().post("/v1/agents/" + agent.agentId() + "/unfreeze", agent.secret(), null), 403, "forbidden");

        long admins = jdbc.sql("SELECT count(*) FROM credentials WHERE scope = 'admin' AND label = 'mine now'")
                .query(Long.class).single();
        assertThat(admins).isZero();
        assertThat(api().get("/v1/me", agent.secret()).string("$.data.credential.daily_limit")).isEqualTo("50");
    }

    @Test
    void anAuditCredentialReadsButCannotSpendOrAdminister() {
        Api.Response issued = api().post("/v1/credentials", ADMIN, "{\"scope\":\"audit\",\"label\":\"auditor\"}");
        assertThat(issued.status()).as(issued.toString()).isEqualTo(201);
        assertThat(issued.string("$.data.scope")).isEqualTo("audit");
        assertThat(issued.<Object>json("$.data.agent_id")).isNull();
        String audit = issued.string("$.data.secret");
        assertThat(audit).matches("psr_audit_[A-Za-z0-9_-]{43,}");

        assertError(api().post("/v1/authorizations", audit, spend("1")), 403, "forbidden");
        assertError(api().get("/v1/agents", audit), 403, "forbidden");
        assertError(api().get("/v1/me", audit), 403, "forbidden");
        assertError(api().post("/v1/agents", audit, "{\"name\":\"x\"}"), 403, "forbidden");
        assertError(api().post("/v1/credentials", audit, "{\"scope\":\"admin\",\"label\":\"x\"}"), 403, "forbidden");
        assertError(api().get("/v1/approvals", audit), 403, "forbidden");
    }

    @Test
    void anAgentCannotSeeSettleOrVoidAnotherAgentsAuthorization() {
        Funded a = fundedAgent(CAPS, 10_000_000);
        Funded b = fundedAgent(CAPS, 10_000_000);
        Api.Response hold = api().post("/v1/authorizations", b.secret(), spend("3"));
        assertThat(hold.status()).as(hold.toString()).isEqualTo(201);
        String id = hold.string("$.data.id");

        Api.Response read = api().get("/v1/authorizations/" + id, a.secret());
        assertError(read, 404, "not_found");
        Api.Response unknown = api().get("/v1/authorizations/auth_DOESNOTEXIST", a.secret());
        assertError(unknown, 404, "not_found");
        // Another agent's hold and a hold that does not exist are answered alike.
        assertThat(read.string("$.error.message")).isEqualTo(unknown.string("$.error.message"));

        assertError(api().post("/v1/authorizations/" + id + "/settle", a.secret(), "{}"), 404, "not_found");
        assertError(api().post("/v1/authorizations/" + id + "/settle", a.secret(), "{\"amount\":\"1\"}"), 404, "not_found");
        assertError(api().post("/v1/authorizations/" + id + "/void", a.secret(), null), 404, "not_found");
        assertThat(api().get("/v1/authorizations", a.secret()).<List<String>>json("$.data.items[*].id")).doesNotContain(id);

        Api.Response mine = api().get("/v1/authorizations/" + id, b.secret());
        assertThat(mine.status()).isEqualTo(200);
        assertThat(mine.string("$.data.status")).isEqualTo("authorized");
        Api.Response meB = api().get("/v1/me", b.secret());
        assertThat(meB.string("$.data.today.held")).isEqualTo("3");
        assertThat(meB.string("$.data.agent.balance.available")).isEqualTo("7");
        Api.Response meA = api().get("/v1/me", a.secret());
        assertThat(meA.string("$.data.today.held")).isEqualTo("0");
        assertThat(meA.string("$.data.today.spent")).isEqualTo("0");
        assertThat(meA.string("$.data.agent.balance.available")).isEqualTo("10");
    }

    @Test
    void aRevokedCredentialIsRefusedFromTheVeryNextRequest() {
        Funded agent = fundedAgent(CAPS, 10_000_000);
        String credentialId = credentialIdOf(agent.secret());
        assertThat(api().post("/v1/authorizations", agent.secret(), spend("1")).status()).isEqualTo(201);

        Api.Response revoked = api().delete("/v1/credentials/" + credentialId, ADMIN);
        assertThat(revoked.status()).as(revoked.toString()).isEqualTo(200);
        assertThat(revoked.string("$.data.status")).isEqualTo("revoked");
        assertThat(revoked.string("$.data.revoked_at")).isNotBlank();
        assertThat(revoked.<Map<String, Object>>json("$.data")).doesNotContainKey("secret");

        assertError(api().post("/v1/authorizations", agent.secret(), spend("1")), 401, "unauthenticated");
        assertError(api().get("/v1/me", agent.secret()), 401, "unauthenticated");
        assertThat(listedCredential(agent.agentId(), credentialId)).containsEntry("status", "revoked");
        assertThat(jdbc.sql("SELECT count(*) FROM authorizations WHERE agent_id = :id").param("id", agent.agentId())
                .query(Long.class).single()).isEqualTo(1);

        // Revoking again changes nothing and is still answered with the revoked credential.
        Api.Response again = api().delete("/v1/credentials/" + credentialId, ADMIN);
        assertThat(again.status()).isEqualTo(200);
        assertThat(again.string("$.data.revoked_at")).isEqualTo(revoked.string("$.data.revoked_at"));
        long revocations = jdbc.sql("SELECT count(*) FROM audit_events WHERE type = 'credential.revoked' AND subject = :id")
                .param("id", credentialId).query(Long.class).single();
        assertThat(revocations).isEqualTo(1);
        assertError(api().delete("/v1/credentials/cred_DOESNOTEXIST", ADMIN), 404, "not_found");
        assertError(api().delete("/v1/credentials/" + credentialId, agent.secret()), 401, "unauthenticated");
    }

    @Test
    void anAgentCredentialStopsWorkingWhenItExpires() {
        Agent agent = createAgent("expiring-" + System.nanoTime());
        String expiresAt = clock.instant().plusSeconds(2).truncatedTo(ChronoUnit.MILLIS).toString();
        Api.Response issued = api().post("/v1/agents/" + agent.id() + "/credentials", ADMIN,
                "{" + CAPS + ",\"expires_at\":\"" + expiresAt + "\"}");
        assertThat(issued.status()).as(issued.toString()).isEqualTo(201);
        assertThat(issued.string("$.data.status")).isEqualTo("active");
        String secret = issued.string("$.data.secret");
        String credentialId = issued.string("$.data.id");
        assertThat(api().get("/v1/me", secret).status()).isEqualTo(200);

        clock.advance(Duration.ofSeconds(3));

        assertError(api().get("/v1/me", secret), 401, "unauthenticated");
        assertError(api().post("/v1/authorizations", secret, spend("1")), 401, "unauthenticated");
        assertThat(listedCredential(agent.id(), credentialId)).containsEntry("status", "expired");
    }

    @Test
    void refusesAnExpiryInThePast() {
        Agent agent = createAgent("expired-at-birth-" + System.nanoTime());
        String past = clock.instant().minusSeconds(1).toString();
        Api.Response r = api().post("/v1/agents/" + agent.id() + "/credentials", ADMIN, "{" + CAPS + ",\"expires_at\":\"" + past + "\"}");
        assertError(r, 400, "invalid_field");
        assertThat(r.string("$.error.details.field")).isEqualTo("expires_at");
        assertThat(credentialsOf(agent.id())).isEmpty();
    }

    @Test
    void showsASecretOnlyInTheResponseThatCreatesIt() {
        Agent agent = createAgent("secretive-" + System.nanoTime());
        Api.Response issued = api().post("/v1/agents/" + agent.id() + "/credentials", ADMIN, "{" + CAPS + ",\"label\":\"bot\"}");
        assertThat(issued.status()).as(issued.toString()).isEqualTo(201);
        String secret = issued.string("$.data.secret");
        String credentialId = issued.string("$.data.id");
        assertThat(credentialId).startsWith("cred_");
        assertThat(secret).matches("psr_agent_[A-Za-z0-9_-]{43,}");

        Api.Response list = api().get("/v1/agents/" + agent.id() + "/credentials", ADMIN);
        List<Map<String, Object>> items = list.json("$.data.items");
        assertThat(items).hasSize(1);
        assertThat(items.getFirst()).doesNotContainKey("secret").containsEntry("id", credentialId).containsEntry("label", "bot");
        assertThat(list.body()).doesNotContain(secret);

        Api.Response patched = api().patch("/v1/credentials/" + credentialId, ADMIN, "{\"label\":\"bot 2\"}");
        assertThat(patched.status()).as(patched.toString()).isEqualTo(200);
        assertThat(patched.<Map<String, Object>>json("$.data")).doesNotContainKey("secret");
        assertThat(patched.body()).doesNotContain(secret);
        Api.Response me = api().get("/v1/me", secret);
        assertThat(me.<Map<String, Object>>json("$.data.credential")).doesNotContainKey("secret");
        assertThat(me.body()).doesNotContain(secret);

        Api.Response operator = api().post("/v1/credentials", ADMIN, "{\"scope\":\"admin\",\"label\":\"second operator\"}");
        assertThat(operator.status()).as(operator.toString()).isEqualTo(201);
        assertThat(operator.string("$.data.secret")).matches("psr_admin_[A-Za-z0-9_-]{43,}");
        assertThat(api().get("/v1/agents?limit=1", operator.string("$.data.secret")).status()).isEqualTo(200);
    }

    @Test
    void keepsOnlyTheSha256OfASecretAndTheTextNowhere() throws Exception {
        Agent agent = createAgent("hashed-" + System.nanoTime());
        Api.Response issued = api().post("/v1/agents/" + agent.id() + "/credentials", ADMIN, "{" + CAPS + "}");
        String secret = issued.string("$.data.secret");
        String credentialId = issued.string("$.data.id");
        // Use the credential once so that whatever a request writes is there to be searched too.
        assertThat(api().post("/v1/authorizations", secret, spend("1")).status()).isIn(201, 402);

        byte[] stored = jdbc.sql("SELECT secret_sha256 FROM credentials WHERE id = :id").param("id", credentialId)
                .query(byte[].class).single();
        byte[] expected = MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
        assertThat(stored).isEqualTo(expected);

        String randomPart = secret.substring("psr_agent_".length());
        List<String> tables = jdbc.sql("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").query(String.class).list();
        assertThat(tables).contains("credentials", "audit_events", "idempotency_keys");
        for (String table : tables) {
            long hits = jdbc.sql("SELECT count(*) FROM \"" + table + "\" t WHERE strpos(t::text, :needle) > 0 OR strpos(t::text, :hex) > 0")
                    .param("needle", randomPart)
                    .param("hex", HexFormat.of().formatHex(secret.getBytes(StandardCharsets.UTF_8)))
                    .query(Long.class).single();
            assertThat(hits).as("rows of %s holding the secret", table).isZero();
        }
    }

    @Test
    void aCapsChangeTakesEffectAtTheNextAuthorization() {
        Funded agent = fundedAgent(CAPS + ",\"approval_threshold\":\"1\"", 100_000_000);
        String credentialId = credentialIdOf(agent.secret());
        Api.Response big = api().post("/v1/authorizations", agent.secret(), spend("3"));
        assertThat(big.status()).as(big.toString()).isEqualTo(201);
        assertThat(big.string("$.data.status")).isEqualTo("pending_approval");

        Api.Response lowered = api().patch("/v1/credentials/" + credentialId, ADMIN, "{\"daily_limit\":\"4\"}");
        assertThat(lowered.status()).as(lowered.toString()).isEqualTo(200);
        assertThat(lowered.string("$.data.daily_limit")).isEqualTo("4");
        assertThat(lowered.string("$.data.per_transaction_limit")).isEqualTo("10");
        assertThat(lowered.string("$.data.approval_threshold")).isEqualTo("1");

        Api.Response declined = api().post("/v1/authorizations", agent.secret(), spend("2"));
        assertError(declined, 402, "daily_limit_exceeded");
        assertThat(declined.string("$.error.details.daily_limit")).isEqualTo("4");
        assertThat(declined.string("$.error.details.remaining")).isEqualTo("1");

        Api.Response cleared = api().patch("/v1/credentials/" + credentialId, ADMIN, "{\"approval_threshold\":null}");
        assertThat(cleared.status()).as(cleared.toString()).isEqualTo(200);
        assertThat(cleared.<Object>json("$.data.approval_threshold")).isNull();
        assertThat(cleared.string("$.data.daily_limit")).isEqualTo("4");
        assertThat(api().get("/v1/me", agent.secret()).<Object>json("$.data.credential.approval_threshold")).isNull();

        Api.Response small = api().post("/v1/authorizations", agent.secret(), spend("1"));
        assertThat(small.status()).as(small.toString()).isEqualTo(201);
        assertThat(small.string("$.data.status")).isEqualTo("authorized");

        Api.Response perTx = api().patch("/v1/credentials/" + credentialId, ADMIN, "{\"per_transaction_limit\":null}");
        assertError(perTx, 400, "invalid_amount");
        assertThat(perTx.string("$.error.details.field")).isEqualTo("per_transaction_limit");
        assertThat(api().get("/v1/me", agent.secret()).string("$.data.credential.per_transaction_limit")).isEqualTo("10");
    }
}
