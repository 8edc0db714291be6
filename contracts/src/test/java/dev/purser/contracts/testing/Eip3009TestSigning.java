package dev.purser.contracts.testing;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.purser.contracts.BatchSettler;
import dev.purser.contracts.TestUSDC;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.security.SecureRandom;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.ECKeyPair;
import org.web3j.crypto.Sign;
import org.web3j.crypto.StructuredDataEncoder;
import org.web3j.protocol.core.RemoteFunctionCall;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.utils.Numeric;

/**
 * EIP-712 signing of the FiatToken v2.2 messages Purser uses (EIP-3009 transfer, receive and
 * cancel authorizations, EIP-2612 permit), for tests only.
 *
 * <p>Digests come from web3j's {@link StructuredDataEncoder} and signatures from
 * {@link Sign#signMessage(byte[], ECKeyPair, boolean)} over the digest, which is RFC 6979
 * deterministic and always yields a low {@code s} and {@code v} of 27 or 28, as FiatToken requires.
 * The wallet module has its own production signer; this one exists so that tests can produce
 * authorizations independently of it (and check it against the same vectors).
 */
public final class Eip3009TestSigning {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();

    private static final List<Map<String, String>> DOMAIN_TYPE = List.of(
            field("name", "string"),
            field("version", "string"),
            field("chainId", "uint256"),
            field("verifyingContract", "address"));

    private static final List<Map<String, String>> AUTHORIZATION_TYPE = List.of(
            field("from", "address"),
            field("to", "address"),
            field("value", "uint256"),
            field("validAfter", "uint256"),
            field("validBefore", "uint256"),
            field("nonce", "bytes32"));

    private static final List<Map<String, String>> CANCEL_TYPE = List.of(
            field("authorizer", "address"),
            field("nonce", "bytes32"));

    private static final List<Map<String, String>> PERMIT_TYPE = List.of(
            field("owner", "address"),
            field("spender", "address"),
            field("value", "uint256"),
            field("nonce", "uint256"),
            field("deadline", "uint256"));

    private Eip3009TestSigning() {}

    /** The EIP-712 domain of a FiatToken-like contract. */
    public record Domain(String name, String version, long chainId, String verifyingContract) {

        /** The domain of the TestUSDC deployed on a local Ganache. */
        public static Domain of(DeployedContracts contracts) {
            return new Domain(DeployedContracts.TOKEN_NAME, "2", GanacheNode.CHAIN_ID,
                    contracts.token().getContractAddress());
        }
    }

    /** The fields an EIP-3009 transfer or receive authorization signs. */
    public record Authorization(
            String from, String to, BigInteger value, BigInteger validAfter, BigInteger validBefore, byte[] nonce) {

        public Authorization {
            if (nonce.length != 32) {
                throw new IllegalArgumentException("an EIP-3009 nonce is 32 bytes, not " + nonce.length);
            }
            nonce = nonce.clone();
        }

        /** An authorization valid from the epoch until {@code validBefore}, with a random nonce. */
        public static Authorization of(String from, String to, long valueMicros, long validBefore) {
            return new Authorization(from, to, BigInteger.valueOf(valueMicros), BigInteger.ZERO,
                    BigInteger.valueOf(validBefore), randomNonce());
        }

        @Override
        public byte[] nonce() {
            return nonce.clone();
        }

        public String nonceHex() {
            return Numeric.toHexString(nonce);
        }

        @Override
        public String toString() {
            return "Authorization[from=" + from + ", to=" + to + ", value=" + value + ", validAfter=" + validAfter
                    + ", validBefore=" + validBefore + ", nonce=" + nonceHex() + "]";
        }
    }

    /** A secp256k1 signature as FiatToken takes it: {@code v} (27 or 28), {@code r}, {@code s}. */
    public record Signature(BigInteger v, byte[] r, byte[] s) {

        public Signature {
            r = r.clone();
            s = s.clone();
        }

        @Override
        public byte[] r() {
            return r.clone();
        }

        @Override
        public byte[] s() {
            return s.clone();
        }

        @Override
        public String toString() {
            return "Signature[v=" + v + ", r=" + Numeric.toHexString(r) + ", s=" + Numeric.toHexString(s) + "]";
        }
    }

    /** An authorization with its signature, ready to submit. */
    public record SignedAuthorization(Authorization authorization, Signature signature) {

        /** The call {@code token.transferWithAuthorization(...)} with these fields. */
        public RemoteFunctionCall<TransactionReceipt> transferWithAuthorization(TestUSDC token) {
            Authorization a = authorization;
            return token.transferWithAuthorization(a.from(), a.to(), a.value(), a.validAfter(), a.validBefore(),
                    a.nonce(), signature.v(), signature.r(), signature.s());
        }

        /** The call {@code token.receiveWithAuthorization(...)} with these fields. */
        public RemoteFunctionCall<TransactionReceipt> receiveWithAuthorization(TestUSDC token) {
            Authorization a = authorization;
            return token.receiveWithAuthorization(a.from(), a.to(), a.value(), a.validAfter(), a.validBefore(),
                    a.nonce(), signature.v(), signature.r(), signature.s());
        }

        /** This authorization as one item of {@code BatchSettler.settle}. */
        public BatchSettler.Item toBatchItem() {
            Authorization a = authorization;
            return new BatchSettler.Item(a.from(), a.to(), a.value(), a.validAfter(), a.validBefore(), a.nonce(),
                    signature.v(), signature.r(), signature.s());
        }
    }

    /** A fresh random 32-byte EIP-3009 nonce. */
    public static byte[] randomNonce() {
        byte[] nonce = new byte[32];
        RANDOM.nextBytes(nonce);
        return nonce;
    }

    /** The EIP-712 domain separator, as the token's {@code DOMAIN_SEPARATOR()} returns it. */
    public static byte[] domainSeparator(Domain domain) {
        // web3j encodes a domain only as part of a whole typed message; any message will do.
        return encoder(domain, "CancelAuthorization", CANCEL_TYPE, cancelMessage(new byte[20], new byte[32]))
                .hashDomain();
    }

    /** The EIP-712 digest of {@code TransferWithAuthorization}. */
    public static byte[] transferDigest(Domain domain, Authorization authorization) {
        return digest(domain, "TransferWithAuthorization", AUTHORIZATION_TYPE, authorizationMessage(authorization));
    }

    /** The EIP-712 digest of {@code ReceiveWithAuthorization}. */
    public static byte[] receiveDigest(Domain domain, Authorization authorization) {
        return digest(domain, "ReceiveWithAuthorization", AUTHORIZATION_TYPE, authorizationMessage(authorization));
    }

    /** The EIP-712 digest of {@code CancelAuthorization}. */
    public static byte[] cancelDigest(Domain domain, String authorizer, byte[] nonce) {
        return digest(domain, "CancelAuthorization", CANCEL_TYPE,
                cancelMessage(Numeric.hexStringToByteArray(authorizer), nonce));
    }

    /** The EIP-712 digest of an EIP-2612 {@code Permit}. */
    public static byte[] permitDigest(
            Domain domain, String owner, String spender, BigInteger value, BigInteger nonce, BigInteger deadline) {
        Map<String, Object> message = new LinkedHashMap<>();
        message.put("owner", owner);
        message.put("spender", spender);
        message.put("value", value.toString());
        message.put("nonce", nonce.toString());
        message.put("deadline", deadline.toString());
        return digest(domain, "Permit", PERMIT_TYPE, message);
    }

    /** Signs a 32-byte digest as is (no Ethereum message prefix). */
    public static Signature sign(byte[] digest, ECKeyPair key) {
        Sign.SignatureData data = Sign.signMessage(digest, key, false);
        return new Signature(Numeric.toBigInt(data.getV()), data.getR(), data.getS());
    }

    /** Signs a {@code TransferWithAuthorization} with {@code signer}'s key (that of {@code from}, unless forging). */
    public static SignedAuthorization signTransfer(Domain domain, Authorization authorization, Credentials signer) {
        return new SignedAuthorization(
                authorization, sign(transferDigest(domain, authorization), signer.getEcKeyPair()));
    }

    /** Signs a {@code ReceiveWithAuthorization} with {@code signer}'s key (that of {@code from}, unless forging). */
    public static SignedAuthorization signReceive(Domain domain, Authorization authorization, Credentials signer) {
        return new SignedAuthorization(
                authorization, sign(receiveDigest(domain, authorization), signer.getEcKeyPair()));
    }

    /** Signs a {@code CancelAuthorization} of {@code nonce} by {@code authorizer}. */
    public static Signature signCancel(Domain domain, byte[] nonce, Credentials authorizer) {
        return sign(cancelDigest(domain, authorizer.getAddress(), nonce), authorizer.getEcKeyPair());
    }

    /** Signs an EIP-2612 {@code Permit} of {@code owner} with {@code signer}'s key (the owner's unless forging). */
    public static Signature signPermit(Domain domain, String owner, String spender, BigInteger value, BigInteger nonce,
            BigInteger deadline, Credentials signer) {
        return sign(permitDigest(domain, owner, spender, value, nonce, deadline), signer.getEcKeyPair());
    }

    private static Map<String, Object> authorizationMessage(Authorization a) {
        Map<String, Object> message = new LinkedHashMap<>();
        message.put("from", a.from());
        message.put("to", a.to());
        message.put("value", a.value().toString());
        message.put("validAfter", a.validAfter().toString());
        message.put("validBefore", a.validBefore().toString());
        message.put("nonce", a.nonceHex());
        return message;
    }

    private static Map<String, Object> cancelMessage(byte[] authorizer, byte[] nonce) {
        Map<String, Object> message = new LinkedHashMap<>();
        message.put("authorizer", Numeric.toHexString(authorizer));
        message.put("nonce", Numeric.toHexString(nonce));
        return message;
    }

    private static byte[] digest(
            Domain domain, String primaryType, List<Map<String, String>> type, Map<String, Object> message) {
        return encoder(domain, primaryType, type, message).hashStructuredData();
    }

    private static StructuredDataEncoder encoder(
            Domain domain, String primaryType, List<Map<String, String>> type, Map<String, Object> message) {
        Map<String, Object> domainValues = new LinkedHashMap<>();
        domainValues.put("name", domain.name());
        domainValues.put("version", domain.version());
        domainValues.put("chainId", domain.chainId());
        domainValues.put("verifyingContract", domain.verifyingContract());
        Map<String, Object> typedData = new LinkedHashMap<>();
        typedData.put("types", Map.of("EIP712Domain", DOMAIN_TYPE, primaryType, type));
        typedData.put("primaryType", primaryType);
        typedData.put("domain", domainValues);
        typedData.put("message", message);
        try {
            return new StructuredDataEncoder(JSON.writeValueAsString(typedData));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write typed data as JSON", e);
        } catch (IOException e) {
            throw new UncheckedIOException("web3j refused the typed data", e);
        }
    }

    private static Map<String, String> field(String name, String type) {
        return Map.of("name", name, "type", type);
    }
}
