package dev.purser.settlement.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.jayway.jsonpath.JsonPath;
import dev.purser.settlement.support.Api;
import dev.purser.settlement.support.PurserTestBase;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The public documents: the agents' guide and the OpenAPI description of the whole API. */
class PublicDocsTest extends PurserTestBase {

    @Test
    void skillGuideIsServedWithoutCredentialsAndCoversTheWholeFlow() {
        Api.Response r = api().get("/skill.md", null);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).contains("Authorization: Bearer psr_agent_", "/v1/me", "/v1/authorizations",
                "/settle", "/void", "Idempotency-Key", "daily_limit_exceeded", "curl");
    }

    @Test
    void openApiDescribesEveryPathOfApiMdWithSnakeCaseBodies() {
        Api.Response r = api().get("/v3/api-docs", null);
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        assertThat(r.string("$.openapi")).startsWith("3.1");
        Map<String, Object> paths = JsonPath.read(r.body(), "$.paths");
        assertThat(paths.keySet()).contains(
                "/v1/me", "/v1/authorizations", "/v1/authorizations/{id}", "/v1/authorizations/{id}/settle",
                "/v1/authorizations/{id}/void", "/v1/settlements/{id}", "/v1/agents", "/v1/agents/{id}",
                "/v1/agents/{id}/freeze", "/v1/agents/{id}/unfreeze", "/v1/agents/{agentId}/credentials",
                "/v1/credentials/{id}", "/v1/credentials", "/v1/approvals", "/v1/authorizations/{id}/approve",
                "/v1/authorizations/{id}/decline", "/v1/settlements/{id}/retry", "/v1/settlements",
                "/v1/settlements/{id}/proof");
        Map<String, Object> preAuthorizeFields = JsonPath.read(r.body(), "$.components.schemas.PreAuthorize.properties");
        assertThat(preAuthorizeFields.keySet()).contains("amount", "merchant", "purpose", "metadata", "expires_in");
        assertThat(r.body()).contains("\"bearer\"");
    }
}
