// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @notice The EIP-3009 entry point of a FiatToken-compatible token (USDC).
interface IERC3009 {
    function transferWithAuthorization(
        address from,
        address to,
        uint256 value,
        uint256 validAfter,
        uint256 validBefore,
        bytes32 nonce,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external;
}

/// @title BatchSettler
/// @notice Submits many EIP-3009 transferWithAuthorization calls in one transaction. It holds no
/// funds, has no owner and needs no approval: each item's signature is its only authority, so
/// anyone may call it and nobody can make it pay what was not signed. Items are independent: one
/// that the token refuses (used nonce, expired, insufficient balance, bad signature) does not
/// revert the others. Every item ends in exactly one outcome event carrying its nonce, so the
/// caller learns from the receipt which nonces landed.
contract BatchSettler {
    struct Item {
        address from;
        address to;
        uint256 value;
        uint256 validAfter;
        uint256 validBefore;
        bytes32 nonce;
        uint8 v;
        bytes32 r;
        bytes32 s;
    }

    /// @notice The item at `index` was paid by the token: `from` sent `value` to `to`.
    event ItemSettled(
        address indexed token, address indexed from, bytes32 indexed nonce, address to, uint256 value, uint256 index
    );

    /// @notice The token refused the item at `index`; `reason` is its revert message.
    event ItemFailed(address indexed token, address indexed from, bytes32 indexed nonce, uint256 index, string reason);

    /// @notice Settles every item against `token`; returns how many were paid.
    function settle(address token, Item[] calldata items) external returns (uint256 settled) {
        for (uint256 i = 0; i < items.length; i++) {
            Item calldata it = items[i];
            try IERC3009(token).transferWithAuthorization(
                it.from, it.to, it.value, it.validAfter, it.validBefore, it.nonce, it.v, it.r, it.s
            ) {
                settled++;
                emit ItemSettled(token, it.from, it.nonce, it.to, it.value, i);
            } catch Error(string memory reason) {
                emit ItemFailed(token, it.from, it.nonce, i, reason);
            } catch (bytes memory) {
                // A revert without a message, a custom error or running out of the gas forwarded
                // to the call: the item is not paid and the others go on.
                emit ItemFailed(token, it.from, it.nonce, i, "call failed without a reason");
            }
        }
    }
}
