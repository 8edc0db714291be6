package dev.purser.settlement.agents;

import dev.purser.settlement.audit.AuditLog;
import dev.purser.settlement.common.Ids;
import dev.purser.settlement.custody.Custody;
import dev.purser.settlement.web.Caller;
import dev.purser.settlement.web.Pages;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/** Agents: each with its own wallet derived at creation, frozen and unfrozen by operators. */
@Service
public class AgentService {

    private static final TypeReference<LinkedHashMap<String, String>> STRING_MAP = new TypeReference<>() {};

    private final JdbcClient jdbc;
    private final Custody custody;
    private final AuditLog audit;
    private final Clock clock;
    private final JsonMapper json;

    AgentService(JdbcClient jdbc, Custody custody, AuditLog audit, Clock clock, JsonMapper json) {
        this.jdbc = jdbc;
        this.custody = custody;
        this.audit = audit;
        this.clock = clock;
        this.json = json;
    }

    /** Creates an agent and derives its wallet at the next unused HD index. */
    @Transactional
    public Agent create(Caller actor, String name, Map<String, String> metadata) {
        Instant now = clock.instant();
        long index = jdbc.sql("SELECT nextval('agent_wallet_index')").query(Long.class).single();
        String address = custody.agentAddress(index);
        String id = Ids.newId("agt", now);
        jdbc.sql("""
                INSERT INTO agents (id, name, wallet_index, wallet_address, created_at, metadata)
                VALUES (:id, :name, :index, :address, :now, CAST(:metadata AS jsonb))
                """)
                .param("id", id)
                .param("name", name)
                .param("index", index)
                .param("address", address)
                .param("now", Timestamp.from(now))
                .param("metadata", metadata == null ? null : json.writeValueAsString(metadata))
                .update();
        jdbc.sql("INSERT INTO agent_funds (agent_id) VALUES (:id)").param("id", id).update();
        audit.append("agent.created", actor, id, id, Map.of("name", name, "wallet_address", address, "wallet_index", index));
        return find(id).orElseThrow();
    }

    public Optional<Agent> find(String id) {
        return jdbc.sql("SELECT * FROM agents WHERE id = :id").param("id", id).query(this::map).optional();
    }

    /** Every agent wallet (lowercase address) and its agent id, at most {@code limit}. */
    public Map<String, String> walletsToAgents(int limit) {
        Map<String, String> wallets = new java.util.HashMap<>();
        jdbc.sql("SELECT id, wallet_address FROM agents ORDER BY wallet_index LIMIT :limit")
                .param("limit", limit)
                .query((rs, n) -> wallets.put(rs.getString(2).toLowerCase(java.util.Locale.ROOT), rs.getString(1)))
                .list();
        return wallets;
    }

    public List<Agent> list(Pages.Cursor after, int limit) {
        return jdbc.sql("""
                SELECT * FROM agents
                WHERE (CAST(:at AS timestamptz) IS NULL OR (created_at, id) < (CAST(:at AS timestamptz), :cursorId))
                ORDER BY created_at DESC, id DESC LIMIT :limit
                """)
                .param("at", after == null ? null : Timestamp.from(after.createdAt()))
                .param("cursorId", after == null ? "" : after.id())
                .param("limit", limit)
                .query(this::map)
                .list();
    }

    /** Freezes an agent: its credentials are refused new authorizations; existing holds may settle. */
    @Transactional
    public Optional<Agent> freeze(Caller actor, String id, String reason) {
        int rows = jdbc.sql("UPDATE agents SET status = 'frozen', frozen_reason = :reason WHERE id = :id")
                .param("reason", reason)
                .param("id", id)
                .update();
        if (rows == 0) {
            return Optional.empty();
        }
        audit.append("agent.frozen", actor, id, id, Map.of("reason", reason));
        return find(id);
    }

    @Transactional
    public Optional<Agent> unfreeze(Caller actor, String id) {
        int rows = jdbc.sql("UPDATE agents SET status = 'active', frozen_reason = NULL WHERE id = :id")
                .param("id", id)
                .update();
        if (rows == 0) {
            return Optional.empty();
        }
        audit.append("agent.unfrozen", actor, id, id, Map.of());
        return find(id);
    }

    private Agent map(ResultSet rs, int n) throws SQLException {
        String metadata = rs.getString("metadata");
        return new Agent(rs.getString("id"), rs.getString("name"), rs.getString("status"), rs.getString("frozen_reason"),
                rs.getLong("wallet_index"), rs.getString("wallet_address"), rs.getTimestamp("created_at").toInstant(),
                metadata == null ? null : json.readValue(metadata, STRING_MAP));
    }
}
