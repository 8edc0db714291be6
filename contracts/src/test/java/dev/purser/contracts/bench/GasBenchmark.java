package dev.purser.contracts.bench;

import dev.purser.contracts.BatchSettler;
import dev.purser.contracts.TestUSDC;
import dev.purser.contracts.testing.DeployedContracts;
import dev.purser.contracts.testing.Eip3009TestSigning;
import dev.purser.contracts.testing.Eip3009TestSigning.Authorization;
import dev.purser.contracts.testing.Eip3009TestSigning.Domain;
import dev.purser.contracts.testing.GanacheNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.core.methods.response.TransactionReceipt;

/**
 * Measures the gas of paying merchants with EIP-3009 on a private Ganache (TestUSDC, shanghai
 * rules): a lone {@code transferWithAuthorization}, and {@code BatchSettler.settle} batches of
 * several sizes, and prints one table. Run it with {@code scripts/bench-gas.sh}; it is not a test.
 *
 * <p>Every payer already holds TestUSDC and every nonce is fresh, as in production, where each
 * settlement's nonce is new by construction. Gas is the whole transaction's {@code gasUsed},
 * including the 21,000 base cost and the calldata.
 */
public final class GasBenchmark {

    /** The batch sizes measured; the largest fits DeployedContracts.GAS (12M) with room to spare. */
    private static final List<Integer> BATCH_SIZES = List.of(1, 10, 50, 100);
    private static final long PAYER_FUNDS_MICROS = 1_000_000_000;
    private static final long VALUE_MICROS = 1_000_000;
    private static final long VALID_FOR_SECONDS = 3_600;

    private final GanacheNode node;
    private final DeployedContracts contracts;
    private final Domain domain;
    private final TestUSDC relayerToken;
    private final BatchSettler relayerSettler;
    private final List<Row> rows = new ArrayList<>();

    private GasBenchmark(GanacheNode node) {
        this.node = node;
        this.contracts = DeployedContracts.deploy(node);
        this.domain = Domain.of(contracts);
        Credentials relayer = node.fundedAccount();
        this.relayerToken = contracts.tokenAs(relayer);
        this.relayerSettler = contracts.batchSettlerAs(relayer);
    }

    public static void main(String[] args) throws Exception {
        GanacheNode node = GanacheNode.start();
        AtomicBoolean stopped = new AtomicBoolean();
        Runnable stop = () -> {
            if (stopped.compareAndSet(false, true)) {
                node.close();
            }
        };
        // A signal ends the JVM without running finally blocks; the hook still stops Ganache.
        Runtime.getRuntime().addShutdownHook(new Thread(stop, "stop-ganache"));
        try {
            GasBenchmark benchmark = new GasBenchmark(node);
            benchmark.run();
            benchmark.print();
        } finally {
            stop.run();
        }
    }

    private void run() throws Exception {
        rows.add(new Row("transferWithAuthorization, payee already holds USDC", 1,
                loneTransfer(merchantWithBalance())));
        rows.add(new Row("transferWithAuthorization, fresh payee", 1,
                loneTransfer(GanacheNode.newAccount().getAddress())));
        for (int size : BATCH_SIZES) {
            rows.add(new Row("BatchSettler.settle, one payer per item", size, batch(size, fundedPayers(size))));
        }
        Credentials onePayer = fundedPayers(1).getFirst();
        for (int size : BATCH_SIZES) {
            rows.add(new Row("BatchSettler.settle, one payer for all items", size,
                    batch(size, Collections.nCopies(size, onePayer))));
        }
    }

    private long loneTransfer(String merchant) throws Exception {
        Credentials payer = fundedPayers(1).getFirst();
        TransactionReceipt receipt = Eip3009TestSigning.signTransfer(domain, authorization(payer, merchant), payer)
                .transferWithAuthorization(relayerToken).send();
        return receipt.getGasUsed().longValueExact();
    }

    /** Settles {@code size} items, item i paid by {@code payers.get(i)}, all to one merchant holding USDC. */
    private long batch(int size, List<Credentials> payers) throws Exception {
        String merchant = merchantWithBalance();
        List<BatchSettler.Item> items = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            Credentials payer = payers.get(i);
            items.add(Eip3009TestSigning.signTransfer(domain, authorization(payer, merchant), payer).toBatchItem());
        }
        TransactionReceipt receipt = relayerSettler.settle(contracts.token().getContractAddress(), items).send();
        // A figure for a batch in which some items failed would understate the cost of paying them.
        int settled = BatchSettler.getItemSettledEvents(receipt).size();
        if (settled != size) {
            throw new IllegalStateException("only " + settled + " of " + size + " items settled: "
                    + BatchSettler.getItemFailedEvents(receipt).stream().map(e -> e.reason).toList());
        }
        return receipt.getGasUsed().longValueExact();
    }

    private Authorization authorization(Credentials payer, String merchant) {
        return Authorization.of(
                payer.getAddress(), merchant, VALUE_MICROS, node.latestBlockTimestamp() + VALID_FOR_SECONDS);
    }

    private String merchantWithBalance() {
        String merchant = GanacheNode.newAccount().getAddress();
        contracts.mint(merchant, 1);
        return merchant;
    }

    private List<Credentials> fundedPayers(int count) {
        List<Credentials> payers = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            Credentials payer = GanacheNode.newAccount();
            contracts.mint(payer.getAddress(), PAYER_FUNDS_MICROS);
            payers.add(payer);
        }
        return payers;
    }

    private void print() {
        String format = "%-52s %6s %12s %14s%n";
        System.out.printf(Locale.ROOT, format, "scenario", "items", "gas total", "gas per item");
        for (Row row : rows) {
            System.out.printf(Locale.ROOT, format, row.scenario(), row.items(),
                    String.format(Locale.ROOT, "%,d", row.gasTotal()),
                    String.format(Locale.ROOT, "%,d", row.gasTotal() / row.items()));
        }
    }

    private record Row(String scenario, int items, long gasTotal) {}
}
