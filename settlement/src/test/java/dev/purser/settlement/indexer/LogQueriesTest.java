package dev.purser.settlement.indexer;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.web3j.protocol.core.Response;

/** Which eth_getLogs refusals a smaller range can cure, as real nodes and providers word them. */
class LogQueriesTest {

    @ParameterizedTest(name = "{0} {1} → shrink: {2}")
    @CsvSource(delimiter = '|', textBlock = """
            -32005 | query returned more than 10000 results                                              | true
            -32602 | Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range | true
            -32000 | exceed maximum block range: 5000                                                     | true
            -32000 | eth_getLogs is limited to a 10,000 range                                             | true
            -32600 | block range too large                                                                | true
            -32000 | request timed out                                                                    | true
            -32005 | limit exceeded                                                                       | true
            -32000 | header not found                                                                     | false
            -32601 | the method eth_getLogs does not exist/is not available                               | false
            -32602 | invalid argument 0: hex string without 0x prefix                                     | false
            -32000 | unknown block                                                                        | false
            """)
    void shrinksOnlyOnAnswersThatMeanTooMuch(int code, String message, boolean shrink) {
        assertThat(LogQueries.meansTooMuch(new Response.Error(code, message))).isEqualTo(shrink);
    }
}
