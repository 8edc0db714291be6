package dev.purser.contracts;

import static org.assertj.core.api.Assertions.assertThat;

import dev.purser.contracts.testing.DeployedContracts;
import dev.purser.contracts.testing.GanacheExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(GanacheExtension.class)
class SmokeTest {
    @Test
    void mintsOnDeployedToken(DeployedContracts c) throws Exception {
        String to = c.node().account(3).getAddress();
        c.mint(to, 5_000_000);
        assertThat(c.balanceOf(to)).isEqualTo(5_000_000);
        assertThat(c.token().decimals().send().intValue()).isEqualTo(6);
        assertThat(c.token().version().send()).isEqualTo("2");
    }
}
