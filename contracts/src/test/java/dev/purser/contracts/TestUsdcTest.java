package dev.purser.contracts;

import static dev.purser.contracts.Reverts.assertReverted;
import static org.assertj.core.api.Assertions.assertThat;

import dev.purser.contracts.testing.DeployedContracts;
import dev.purser.contracts.testing.GanacheExtension;
import dev.purser.contracts.testing.GanacheNode;
import java.math.BigInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.core.methods.response.TransactionReceipt;

/** TestUSDC as an ERC-20 with six decimals whose only minter is its deployer. */
@ExtendWith(GanacheExtension.class)
class TestUsdcTest {

    @Test
    void deployerMintsSixDecimalUnits(DeployedContracts contracts) throws Exception {
        String holder = GanacheNode.newAccount().getAddress();
        BigInteger supplyBefore = contracts.token().totalSupply().send();

        contracts.mint(holder, 5_000_000);

        assertThat(contracts.balanceOf(holder)).isEqualTo(5_000_000);
        assertThat(contracts.token().totalSupply().send()).isEqualTo(supplyBefore.add(BigInteger.valueOf(5_000_000)));
        assertThat(contracts.token().decimals().send()).isEqualTo(BigInteger.valueOf(6));
        assertThat(contracts.token().symbol().send()).isEqualTo("USDC");
        assertThat(contracts.token().minter().send()).isEqualToIgnoringCase(contracts.deployer().getAddress());
    }

    @Test
    void refusesToMintForAnyoneButTheDeployer(GanacheNode node, DeployedContracts contracts) throws Exception {
        Credentials outsider = node.fundedAccount();

        assertReverted(contracts.tokenAs(outsider).mint(outsider.getAddress(), BigInteger.valueOf(1_000_000)),
                "FiatToken: caller is not a minter");

        assertThat(contracts.balanceOf(outsider.getAddress())).isZero();
    }

    @Test
    void transfersBetweenHolders(DeployedContracts contracts, GanacheNode node) throws Exception {
        Credentials holder = node.fundedAccount();
        String recipient = GanacheNode.newAccount().getAddress();
        contracts.mint(holder.getAddress(), 3_000_000);

        TransactionReceipt receipt =
                contracts.tokenAs(holder).transfer(recipient, BigInteger.valueOf(1_250_000)).send();

        assertThat(TestUSDC.getTransferEvents(receipt)).singleElement()
                .satisfies(t -> assertThat(t.value).isEqualTo(BigInteger.valueOf(1_250_000)));
        assertThat(contracts.balanceOf(holder.getAddress())).isEqualTo(1_750_000);
        assertThat(contracts.balanceOf(recipient)).isEqualTo(1_250_000);
        assertReverted(contracts.tokenAs(holder).transfer(recipient, BigInteger.valueOf(1_750_001)),
                "ERC20: transfer amount exceeds balance");
    }
}
