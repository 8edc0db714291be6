package dev.purser.settlement.chain;

import dev.purser.settlement.config.PurserProperties;
import java.util.concurrent.TimeUnit;
import okhttp3.OkHttpClient;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.http.HttpService;

/** The JSON-RPC client of the configured chain, with every call bounded in time. */
@Configuration(proxyBeanMethods = false)
class ChainConfiguration {

    @Bean(destroyMethod = "shutdown")
    Web3j web3j(PurserProperties properties) {
        long timeoutMs = properties.chain().rpcTimeout().toMillis();
        OkHttpClient http = new OkHttpClient.Builder()
                .connectTimeout(timeoutMs, TimeUnit.MILLISECONDS)
                .readTimeout(timeoutMs, TimeUnit.MILLISECONDS)
                .callTimeout(timeoutMs * 2, TimeUnit.MILLISECONDS)
                .build();
        return Web3j.build(new HttpService(properties.chain().rpcUrl(), http));
    }

    @Bean
    ChainSettings chainSettings(PurserProperties properties) {
        return ChainSettings.from(properties);
    }
}
