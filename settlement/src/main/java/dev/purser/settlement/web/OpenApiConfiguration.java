package dev.purser.settlement.web;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import io.swagger.v3.core.jackson.ModelResolver;
import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.security.SecurityRequirement;
import io.swagger.v3.oas.models.security.SecurityScheme;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * {@code GET /v3/api-docs}: OpenAPI 3.1 generated from the controllers. Schemas use the API's
 * snake_case names (swagger-core reads types with its own Jackson 2 mapper, so it is told too).
 */
@Configuration(proxyBeanMethods = false)
class OpenApiConfiguration {

    @Bean
    OpenAPI purserOpenApi() {
        return new OpenAPI()
                .info(new Info().title("Purser API").version("v1")
                        .description("Spend control and USDC settlement for AI agents. Envelope: {\"ok\": true, \"data\": …}"
                                + " or {\"ok\": false, \"error\": {code, message, details}}. Money is a decimal string."
                                + " POSTs that create or move money require an Idempotency-Key header."))
                .components(new Components().addSecuritySchemes("bearer",
                        new SecurityScheme().type(SecurityScheme.Type.HTTP).scheme("bearer")
                                .description("psr_agent_…, psr_admin_… or psr_audit_…")))
                .addSecurityItem(new SecurityRequirement().addList("bearer"));
    }

    @Bean
    ModelResolver snakeCaseModelResolver() {
        return new ModelResolver(new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE));
    }
}
