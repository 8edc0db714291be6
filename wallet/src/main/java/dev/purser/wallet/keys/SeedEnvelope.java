package dev.purser.wallet.keys;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Objects;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The at-rest format of the wallet seed: a BIP-39 mnemonic encrypted with AES-256-GCM under the
 * {@link MasterKey}.
 *
 * <pre>
 * offset  length  field
 * 0       1       format version, 0x01
 * 1       8       key check: the first 8 bytes of HMAC-SHA256(master key, "purser/master-key-check/v1")
 * 9       12      GCM IV, fresh from a SecureRandom for every encryption
 * 21      n + 16  ciphertext of the UTF-8 mnemonic, then the 16-byte GCM tag
 * </pre>
 *
 * The associated data is {@code "purser/wallet-seed/v1"} followed by the 21 header bytes, so the
 * ciphertext cannot be passed off as any other Purser secret, and neither the version nor the key
 * check can be altered without the tag failing. The key check tells a wrong master key
 * ({@link WrongMasterKeyException}) apart from a damaged envelope
 * ({@link CorruptSeedEnvelopeException}); it reveals nothing usable about a 256-bit key.
 *
 * <p>Package-private on purpose: only {@link HdWallet} handles the plaintext mnemonic.
 */
final class SeedEnvelope {

    static final byte VERSION_1 = 0x01;
    static final String PURPOSE = "purser/wallet-seed/v1";

    private static final byte[] PURPOSE_BYTES = PURPOSE.getBytes(StandardCharsets.US_ASCII);
    private static final byte[] KEY_CHECK_LABEL = "purser/master-key-check/v1".getBytes(StandardCharsets.US_ASCII);
    private static final int KEY_CHECK_BYTES = 8;
    private static final int IV_BYTES = 12;
    private static final int TAG_BITS = 128;
    private static final int HEADER_BYTES = 1 + KEY_CHECK_BYTES + IV_BYTES;
    // A 24-word English mnemonic is at most 24 * 8 + 23 = 215 bytes; 1 KiB leaves room for other
    // word lists and refuses garbage before any cryptography runs.
    static final int MAX_ENVELOPE_BYTES = 1024;

    private SeedEnvelope() {}

    /** Encrypts {@code mnemonic} under {@code key} with a fresh IV. */
    static byte[] seal(MasterKey key, String mnemonic, SecureRandom random) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(mnemonic, "mnemonic");
        Objects.requireNonNull(random, "random");
        byte[] iv = new byte[IV_BYTES];
        random.nextBytes(iv);
        byte[] header = ByteBuffer.allocate(HEADER_BYTES).put(VERSION_1).put(keyCheck(key)).put(iv).array();
        byte[] plaintext = mnemonic.getBytes(StandardCharsets.UTF_8);
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, key.aesKey(), new GCMParameterSpec(TAG_BITS, iv));
            cipher.updateAAD(associatedData(header));
            byte[] sealed = cipher.doFinal(plaintext);
            byte[] envelope = ByteBuffer.allocate(HEADER_BYTES + sealed.length).put(header).put(sealed).array();
            if (envelope.length > MAX_ENVELOPE_BYTES) {
                throw new IllegalArgumentException("the mnemonic is too long to be a BIP-39 mnemonic");
            }
            return envelope;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-256-GCM is not available in this JVM", e);
        } finally {
            Arrays.fill(plaintext, (byte) 0);
        }
    }

    /**
     * Decrypts an envelope.
     *
     * @throws WrongMasterKeyException if {@code key} is not the key that sealed the envelope
     * @throws CorruptSeedEnvelopeException if the envelope is malformed, of an unknown version, or
     *     fails authentication under the right key
     */
    static String open(MasterKey key, byte[] envelope) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(envelope, "envelope");
        if (envelope.length > MAX_ENVELOPE_BYTES) {
            throw new CorruptSeedEnvelopeException("the stored wallet seed envelope is " + envelope.length
                    + " bytes, more than the " + MAX_ENVELOPE_BYTES + " a seed envelope can be");
        }
        if (envelope.length < HEADER_BYTES + TAG_BITS / 8 + 1) {
            throw new CorruptSeedEnvelopeException("the stored wallet seed envelope is truncated ("
                    + envelope.length + " bytes)");
        }
        if (envelope[0] != VERSION_1) {
            throw new CorruptSeedEnvelopeException("the stored wallet seed envelope has unknown format version "
                    + (envelope[0] & 0xff) + "; this build reads version 1");
        }
        byte[] storedCheck = Arrays.copyOfRange(envelope, 1, 1 + KEY_CHECK_BYTES);
        if (!MessageDigest.isEqual(storedCheck, keyCheck(key))) {
            throw new WrongMasterKeyException();
        }
        byte[] header = Arrays.copyOfRange(envelope, 0, HEADER_BYTES);
        byte[] iv = Arrays.copyOfRange(envelope, 1 + KEY_CHECK_BYTES, HEADER_BYTES);
        byte[] plaintext = null;
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, key.aesKey(), new GCMParameterSpec(TAG_BITS, iv));
            cipher.updateAAD(associatedData(header));
            plaintext = cipher.doFinal(envelope, HEADER_BYTES, envelope.length - HEADER_BYTES);
            return new String(plaintext, StandardCharsets.UTF_8);
        } catch (AEADBadTagException e) {
            // The key check matched, so the key is right and the bytes were altered.
            throw new CorruptSeedEnvelopeException(
                    "the stored wallet seed envelope fails authentication: it was altered or damaged");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-256-GCM is not available in this JVM", e);
        } finally {
            if (plaintext != null) {
                Arrays.fill(plaintext, (byte) 0);
            }
        }
    }

    static byte[] associatedData(byte[] header) {
        return ByteBuffer.allocate(PURPOSE_BYTES.length + header.length).put(PURPOSE_BYTES).put(header).array();
    }

    static byte[] keyCheck(MasterKey key) {
        byte[] raw = key.bytes();
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(raw, "HmacSHA256"));
            return Arrays.copyOf(mac.doFinal(KEY_CHECK_LABEL), KEY_CHECK_BYTES);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available in this JVM", e);
        } finally {
            Arrays.fill(raw, (byte) 0);
        }
    }
}
