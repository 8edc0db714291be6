package dev.purser.wallet.eip3009;

import dev.purser.wallet.Addresses;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Objects;
import org.web3j.abi.FunctionEncoder;
import org.web3j.abi.FunctionReturnDecoder;
import org.web3j.abi.TypeReference;
import org.web3j.abi.datatypes.Function;
import org.web3j.abi.datatypes.Type;
import org.web3j.abi.datatypes.Utf8String;
import org.web3j.abi.datatypes.generated.Bytes32;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.methods.request.Transaction;
import org.web3j.protocol.core.methods.response.EthCall;

/**
 * Reads a token's EIP-712 domain from the chain: {@code name()} and {@code version()}, checked
 * against the node's chain id and, where the token has one, its own {@code DOMAIN_SEPARATOR()}.
 * Call it once at start-up and keep the result; it makes three or four RPC calls.
 */
public final class TokenDomains {

    private TokenDomains() {}

    /**
     * The domain of {@code tokenAddress} on the chain {@code web3j} talks to.
     *
     * @throws IllegalStateException if the node is on another chain than {@code chainId}, the token
     *     does not answer {@code name()}/{@code version()}, or its {@code DOMAIN_SEPARATOR()}
     *     differs from the one computed from them (the signatures would be refused)
     * @throws UncheckedIOException if the node cannot be reached
     */
    public static Eip712Domain read(Web3j web3j, String tokenAddress, long chainId) {
        Objects.requireNonNull(web3j, "web3j");
        String token = Addresses.checksummed(tokenAddress, "token address");
        try {
            long nodeChainId = web3j.ethChainId().send().getChainId().longValueExact();
            if (nodeChainId != chainId) {
                throw new IllegalStateException("the node is on chain " + nodeChainId + ", not chain " + chainId);
            }
            String name = callString(web3j, token, "name");
            String version = callString(web3j, token, "version");
            Eip712Domain domain = new Eip712Domain(name, version, chainId, token);
            EthCall separatorCall = call(web3j, token, new Function("DOMAIN_SEPARATOR", List.of(),
                    List.of(new TypeReference<Bytes32>() {})));
            // A token without DOMAIN_SEPARATOR() answers with an error or empty data; the check is
            // then skipped rather than failed, because EIP-3009 does not require that function.
            if (!separatorCall.hasError() && separatorCall.getValue() != null && separatorCall.getValue().length() == 66) {
                String onChain = separatorCall.getValue();
                String computed = domain.separator().toHex();
                if (!onChain.equalsIgnoreCase(computed)) {
                    throw new IllegalStateException("token " + token + " reports DOMAIN_SEPARATOR " + onChain
                            + " but its name/version/chain give " + computed + "; signatures would be refused");
                }
            }
            return domain;
        } catch (IOException e) {
            throw new UncheckedIOException("could not read the EIP-712 domain of token " + token, e);
        }
    }

    private static String callString(Web3j web3j, String token, String functionName) throws IOException {
        Function function = new Function(functionName, List.of(), List.of(new TypeReference<Utf8String>() {}));
        EthCall answer = call(web3j, token, function);
        if (answer.hasError()) {
            throw new IllegalStateException("token " + token + " refused " + functionName + "(): "
                    + answer.getError().getMessage());
        }
        @SuppressWarnings("rawtypes")
        List<Type> decoded = FunctionReturnDecoder.decode(answer.getValue(), function.getOutputParameters());
        if (decoded.isEmpty()) {
            throw new IllegalStateException("token " + token + " returned nothing for " + functionName
                    + "(); is it a token contract on this chain?");
        }
        return (String) decoded.get(0).getValue();
    }

    private static EthCall call(Web3j web3j, String token, Function function) throws IOException {
        return web3j.ethCall(Transaction.createEthCallTransaction(null, token, FunctionEncoder.encode(function)),
                DefaultBlockParameterName.LATEST).send();
    }
}
