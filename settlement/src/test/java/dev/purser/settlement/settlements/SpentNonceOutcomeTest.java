package dev.purser.settlement.settlements;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.purser.contracts.BatchSettler;
import dev.purser.contracts.TestUSDC;
import dev.purser.contracts.testing.DeployedContracts;
import dev.purser.contracts.testing.Eip3009TestSigning;
import dev.purser.contracts.testing.Eip3009TestSigning.Authorization;
import dev.purser.contracts.testing.Eip3009TestSigning.Domain;
import dev.purser.contracts.testing.Eip3009TestSigning.SignedAuthorization;
import dev.purser.contracts.testing.GanacheExtension;
import dev.purser.contracts.testing.GanacheNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.protocol.http.HttpService;
import org.web3j.utils.Numeric;

/**
 * What the settler decides when BatchSettler reports a settlement's nonce as "used or canceled",
 * on a real Ganache with the real token: only the token's log of the spend decides. An
 * AuthorizationUsed means someone paid the merchant with our signature first (landed, on their
 * transaction); an AuthorizationCanceled means the agent's wallet canceled it (failed, naming the
 * cancel); neither within the lookback window proves nothing, so the settlement is retried.
 */
@ExtendWith(GanacheExtension.class)
class SpentNonceOutcomeTest {

    private static final long VALUE_MICROS = 7_250_000;
    private static final long LOOKBACK_BLOCKS = 50_000;

    private final GanacheNode node;
    private final DeployedContracts contracts;
    private final Domain domain;
    private final String token;
    private final BatchSettler relayer;
    private final TestUSDC stranger;

    SpentNonceOutcomeTest(GanacheNode node, DeployedContracts contracts) {
        this.node = node;
        this.contracts = contracts;
        this.domain = Domain.of(contracts);
        this.token = contracts.token().getContractAddress();
        this.relayer = contracts.batchSettlerAs(node.fundedAccount());
        this.stranger = contracts.tokenAs(node.fundedAccount());
    }

    @Test
    void aNonceSomeoneElseUsedFirstLandsOnTheirTransaction() throws Exception {
        Credentials payer = fundedPayer();
        String merchant = GanacheNode.newAccount().getAddress();
        SignedAuthorization signed = sign(payer, merchant);
        TransactionReceipt frontRun = signed.transferWithAuthorization(stranger).send();

        TransactionReceipt batch = batchOf(signed);

        Settler.ItemOutcome outcome = Settler.outcomeOf(node.web3j(), batch, token, settlementOf(signed), LOOKBACK_BLOCKS);
        assertThat(outcome).isInstanceOf(Settler.ItemOutcome.Landed.class);
        ChainLogs.Landing landing = ((Settler.ItemOutcome.Landed) outcome).landing();
        assertThat(landing.txHash()).as("the front-runner's transaction paid").isEqualTo(frontRun.getTransactionHash());
        assertThat(landing.blockNumber()).isEqualTo(frontRun.getBlockNumber().longValueExact());
        assertThat(landing.blockHash()).isEqualTo(frontRun.getBlockHash());
        assertThat(landing.transferLogIndex()).as("the Transfer's index in the front-runner's receipt")
                .isEqualTo(TestUSDC.getTransferEvents(frontRun).getFirst().log.getLogIndex().intValueExact());
        assertThat(contracts.balanceOf(merchant)).as("the merchant is paid once").isEqualTo(VALUE_MICROS);
    }

    @Test
    void aNonceTheAuthorizerCanceledFailsNamingTheCancel() throws Exception {
        Credentials payer = fundedPayer();
        String merchant = GanacheNode.newAccount().getAddress();
        SignedAuthorization signed = sign(payer, merchant);
        TransactionReceipt cancel = cancel(payer, signed);

        TransactionReceipt batch = batchOf(signed);

        Settler.ItemOutcome outcome = Settler.outcomeOf(node.web3j(), batch, token, settlementOf(signed), LOOKBACK_BLOCKS);
        assertThat(outcome).isEqualTo(new Settler.ItemOutcome.Failed(
                "the agent's authorization nonce was canceled on-chain in " + cancel.getTransactionHash()));
        assertThat(contracts.balanceOf(merchant)).as("nothing moved").isZero();
        assertThat(contracts.balanceOf(payer.getAddress())).isEqualTo(VALUE_MICROS);
    }

    @Test
    void aCancelBeyondTheLookbackIsRetriedNotTakenForEitherOutcome() throws Exception {
        Credentials payer = fundedPayer();
        SignedAuthorization signed = sign(payer, GanacheNode.newAccount().getAddress());
        long canceledIn = cancel(payer, signed).getBlockNumber().longValueExact();
        for (int i = 0; i < 5; i++) {
            node.mine();
        }
        TransactionReceipt batch = batchOf(signed);
        long distance = batch.getBlockNumber().longValueExact() - canceledIn;

        Settler.ItemOutcome outOfReach = Settler.outcomeOf(node.web3j(), batch, token, settlementOf(signed), distance - 1);
        assertThat(outOfReach).isInstanceOf(Settler.ItemOutcome.Retry.class);
        assertThat(((Settler.ItemOutcome.Retry) outOfReach).reason())
                .contains("neither AuthorizationUsed nor AuthorizationCanceled")
                .contains("blocks " + (canceledIn + 1) + " to " + batch.getBlockNumber())
                .contains("authorizationState is now true");

        Settler.ItemOutcome justInReach = Settler.outcomeOf(node.web3j(), batch, token, settlementOf(signed), distance);
        assertThat(justInReach).as("the window includes its lowest block").isInstanceOf(Settler.ItemOutcome.Failed.class);
    }

    @Test
    void aUseBeyondTheLookbackIsRetriedNotTakenForACancel() throws Exception {
        Credentials payer = fundedPayer();
        String merchant = GanacheNode.newAccount().getAddress();
        SignedAuthorization signed = sign(payer, merchant);
        long usedIn = signed.transferWithAuthorization(stranger).send().getBlockNumber().longValueExact();
        for (int i = 0; i < 3; i++) {
            node.mine();
        }
        TransactionReceipt batch = batchOf(signed);
        long distance = batch.getBlockNumber().longValueExact() - usedIn;

        Settler.ItemOutcome outcome = Settler.outcomeOf(node.web3j(), batch, token, settlementOf(signed), distance - 1);
        assertThat(outcome).as("no log is no proof of a cancel").isInstanceOf(Settler.ItemOutcome.Retry.class);
        assertThat(contracts.balanceOf(merchant)).isEqualTo(VALUE_MICROS);
    }

    @Test
    void theSearchWalksTheWindowNewestChunkFirstWithinANodesRangeLimit() throws Exception {
        Credentials payer = fundedPayer();
        SignedAuthorization signed = sign(payer, GanacheNode.newAccount().getAddress());
        TransactionReceipt cancel = cancel(payer, signed);
        for (int i = 0; i < 12; i++) {
            node.mine();
        }
        long head = node.web3j().ethBlockNumber().send().getBlockNumber().longValueExact();
        RangeLimitedRpc rpc = new RangeLimitedRpc(node.rpcUrl(), 5);
        Web3j limited = Web3j.build(rpc);
        try {
            ChainLogs.NonceSpend spend = ChainLogs.findSpend(limited, token, payer.getAddress(),
                    signed.authorization().nonceHex(), head, 100, 5);

            assertThat(spend).isEqualTo(new ChainLogs.NonceSpend.Canceled(cancel.getTransactionHash(),
                    cancel.getBlockNumber().longValueExact()));
            List<long[]> ranges = rpc.ranges();
            assertThat(ranges.getFirst()).containsExactly(head - 4, head);
            for (int i = 1; i < ranges.size(); i++) {
                assertThat(ranges.get(i)[1]).as("each chunk ends just below the one before").isEqualTo(ranges.get(i - 1)[0] - 1);
            }
            assertThat(ranges).allSatisfy(r -> assertThat(r[1] - r[0] + 1).isBetween(1L, 5L));
            assertThat(ranges.getLast()[0]).as("the search stops at the chunk holding the cancel")
                    .isLessThanOrEqualTo(cancel.getBlockNumber().longValueExact()).isGreaterThan(cancel.getBlockNumber().longValueExact() - 5);

            assertThatThrownBy(() -> ChainLogs.findSpend(limited, token, payer.getAddress(), signed.authorization().nonceHex(),
                    head, 100, 6))
                    .as("the node really refuses a wider range")
                    .isInstanceOf(IOException.class).hasMessageContaining("block range");
        } finally {
            limited.shutdown();
        }
    }

    @Test
    void theCanceledTopicIsFiatTokensAuthorizationCanceled() {
        assertThat(ChainLogs.AUTHORIZATION_CANCELED_TOPIC).startsWith("0x1cdd46ff").endsWith("53d81");
    }

    // ---- helpers ----

    private Credentials fundedPayer() {
        Credentials payer = GanacheNode.newAccount();
        contracts.mint(payer.getAddress(), VALUE_MICROS);
        return payer;
    }

    private SignedAuthorization sign(Credentials payer, String merchant) {
        Authorization a = Authorization.of(payer.getAddress(), merchant, VALUE_MICROS, node.latestBlockTimestamp() + 3_600);
        return Eip3009TestSigning.signTransfer(domain, a, payer);
    }

    /** The payer's own cancel of the nonce, signed by its key and submitted by a stranger (anyone may). */
    private TransactionReceipt cancel(Credentials payer, SignedAuthorization signed) throws Exception {
        Eip3009TestSigning.Signature sig = Eip3009TestSigning.signCancel(domain, signed.authorization().nonce(), payer);
        TransactionReceipt receipt = stranger.cancelAuthorization(payer.getAddress(), signed.authorization().nonce(), sig.v(),
                sig.r(), sig.s()).send();
        assertThat(receipt.isStatusOK()).isTrue();
        return receipt;
    }

    /** The relayer's BatchSettler transaction for the one item, which the token refuses as spent. */
    private TransactionReceipt batchOf(SignedAuthorization signed) throws Exception {
        TransactionReceipt receipt = relayer.settle(token, List.of(signed.toBatchItem())).send();
        assertThat(BatchSettler.getItemFailedEvents(receipt)).singleElement()
                .satisfies(e -> assertThat(e.reason).contains("used or canceled"));
        return receipt;
    }

    private Settler.Settlement settlementOf(SignedAuthorization signed) {
        Authorization a = signed.authorization();
        return new Settler.Settlement("stl_test", "agt_test", a.from(), a.to(), a.value().longValueExact(), a.nonceHex(), token, 1);
    }

    /**
     * The real node behind a JSON-RPC shim that refuses eth_getLogs over more than {@code maxBlocks}
     * blocks, as many providers do, and records each range it was asked for.
     */
    private static final class RangeLimitedRpc extends HttpService {

        private static final ObjectMapper JSON = new ObjectMapper();

        private final long maxBlocks;
        private final List<long[]> ranges = Collections.synchronizedList(new ArrayList<>());

        RangeLimitedRpc(String url, long maxBlocks) {
            super(url);
            this.maxBlocks = maxBlocks;
        }

        List<long[]> ranges() {
            return List.copyOf(ranges);
        }

        @Override
        protected InputStream performIO(String request) throws IOException {
            JsonNode call = JSON.readTree(request);
            if ("eth_getLogs".equals(call.path("method").asText())) {
                JsonNode filter = call.path("params").get(0);
                long from = Numeric.decodeQuantity(filter.path("fromBlock").asText()).longValueExact();
                long to = Numeric.decodeQuantity(filter.path("toBlock").asText()).longValueExact();
                ranges.add(new long[] {from, to});
                if (to - from + 1 > maxBlocks) {
                    String refusal = "{\"jsonrpc\":\"2.0\",\"id\":" + call.path("id") + ",\"error\":{\"code\":-32005,"
                            + "\"message\":\"block range exceeds " + maxBlocks + "\"}}";
                    return new ByteArrayInputStream(refusal.getBytes(StandardCharsets.UTF_8));
                }
            }
            return super.performIO(request);
        }
    }
}
