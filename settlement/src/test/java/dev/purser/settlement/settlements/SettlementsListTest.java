package dev.purser.settlement.settlements;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.purser.settlement.support.Api;
import dev.purser.settlement.support.PurserTestBase;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The auditor's settlements list: filtered by agent and status, newest first, a page at a time
 * without gaps or repeats; malformed filters are refused with the field named, and agents may not
 * list at all.
 */
class SettlementsListTest extends PurserTestBase {

    private List<String> settle(Funded agent, int count) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String id = api().post("/v1/authorizations", agent.secret(), "{\"amount\":\"1\",\"merchant\":\"" + MERCHANT + "\"}")
                    .string("$.data.id");
            ids.add(api().post("/v1/authorizations/" + id + "/settle", agent.secret(), "{\"amount\":\"0.5\"}")
                    .string("$.data.settlement.id"));
        }
        return ids;
    }

    @Test
    void listsAnAgentsSettlementsNewestFirstInPagesAndByStatus() {
        Funded agent = fundedAgent("\"per_transaction_limit\":\"10\",\"daily_limit\":\"50\"", 10_000_000);
        Funded other = fundedAgent("\"per_transaction_limit\":\"10\",\"daily_limit\":\"50\"", 10_000_000);
        List<String> mine = settle(agent, 3);
        List<String> theirs = settle(other, 1);
        String auditor = api().post("/v1/credentials", ADMIN, "{\"scope\":\"audit\",\"label\":\"lister\"}").string("$.data.secret");

        List<Map<String, Object>> seen = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            Api.Response page = api().get("/v1/settlements?agent_id=" + agent.agentId() + "&limit=2"
                    + (cursor == null ? "" : "&cursor=" + cursor), auditor);
            assertThat(page.status()).as(page.toString()).isEqualTo(200);
            List<Map<String, Object>> items = page.json("$.data.items");
            assertThat(items).hasSizeLessThanOrEqualTo(2);
            seen.addAll(items);
            cursor = page.string("$.data.next_cursor");
            pages++;
        } while (cursor != null && pages < 10);
        assertThat(pages).isEqualTo(2);
        assertThat(seen).extracting(m -> m.get("id")).containsExactlyElementsOf(mine.reversed());
        assertThat(seen).allSatisfy(m -> assertThat(m).containsEntry("agent_id", agent.agentId()).containsEntry("amount", "0.5"));
        List<Instant> created = seen.stream().map(m -> Instant.parse((String) m.get("created_at"))).toList();
        assertThat(created).isSortedAccordingTo(java.util.Comparator.reverseOrder());

        // Unfiltered, both agents' settlements are there.
        List<Object> all = api().get("/v1/settlements?limit=500", auditor).<List<Map<String, Object>>>json("$.data.items")
                .stream().map(m -> m.get("id")).toList();
        assertThat(all).containsAll(mine).containsAll(theirs);

        // By status: once paid on-chain, each is in the list of its status and in no other.
        await().atMost(Duration.ofSeconds(60)).until(() -> api().get("/v1/settlements?agent_id=" + agent.agentId()
                + "&status=finalized", auditor).<List<Object>>json("$.data.items").size() == 3);
        assertThat(api().get("/v1/settlements?agent_id=" + agent.agentId() + "&status=queued", auditor)
                .<List<Object>>json("$.data.items")).isEmpty();
    }

    @Test
    void refusesMalformedFiltersAndAgents() {
        Funded agent = fundedAgent("\"per_transaction_limit\":\"10\",\"daily_limit\":\"50\"", 1_000_000);
        for (String[] c : List.of(new String[] {"status=paid", "status", "invalid_parameter"},
                new String[] {"limit=0", "limit", "invalid_parameter"}, new String[] {"limit=501", "limit", "invalid_parameter"},
                new String[] {"cursor=bm90LWEtY3Vyc29y", "cursor", "invalid_cursor"})) {
            Api.Response r = api().get("/v1/settlements?" + c[0], ADMIN);
            assertThat(r.status()).as(c[0] + " " + r).isEqualTo(400);
            assertThat(r.string("$.error.code")).as(c[0]).isEqualTo(c[2]);
            assertThat(r.string("$.error.details.field")).as(c[0]).isEqualTo(c[1]);
        }
        Api.Response asAgent = api().get("/v1/settlements", agent.secret());
        assertThat(asAgent.status()).as(asAgent.toString()).isEqualTo(403);
        assertThat(asAgent.string("$.error.code")).isEqualTo("forbidden");
    }
}
