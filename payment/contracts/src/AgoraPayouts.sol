// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {SafeTransfer} from "./SafeTransfer.sol";

/// @title Agora batch payouts for any standard ERC-20
/// @notice Pulls a batch's total from the payer once, then transfers to each payee. Every packed word is
/// (payee << 96 | amount). A batch id commits to payer, token and the hash of the document ids it pays,
/// and a batch id is paid at most once.
contract AgoraPayouts {
    using SafeTransfer for address;

    /// @notice Most payments in one batch: keeps a batch of fresh payees under the 2^24 gas cap per transaction (EIP-7825).
    uint256 public constant MAX_BATCH = 500;

    mapping(bytes32 => bool) public paid;

    event BatchPaid(bytes32 indexed batchId, address indexed payer, address indexed token, uint256 total, bytes32 documentsHash);

    error BatchAlreadyPaid(bytes32 batchId);
    error BatchSize(uint256 size);

    function batchIdOf(address payer, address token, bytes32 documentsHash) public pure returns (bytes32) {
        return keccak256(abi.encode(payer, token, documentsHash));
    }

    function payBatch(address token, bytes32 documentsHash, uint256[] calldata payments) external {
        uint256 count = payments.length;
        if (count == 0 || count > MAX_BATCH) revert BatchSize(count);
        bytes32 batchId = batchIdOf(msg.sender, token, documentsHash);
        if (paid[batchId]) revert BatchAlreadyPaid(batchId);
        paid[batchId] = true;
        uint256 total;
        assembly ("memory-safe") {
            let end := add(payments.offset, shl(5, count))
            for { let p := payments.offset } lt(p, end) { p := add(p, 0x20) } {
                total := add(total, and(calldataload(p), 0xffffffffffffffffffffffff)) // at most MAX_BATCH * 2^96
            }
        }
        token.pull(msg.sender, address(this), total);
        bool failed;
        assembly ("memory-safe") {
            // transfer(payee, amount) for each word, built in place in free memory: no allocation per payee
            let m := mload(0x40)
            mstore(m, 0xa9059cbb00000000000000000000000000000000000000000000000000000000)
            let end := add(payments.offset, shl(5, count))
            for { let p := payments.offset } lt(p, end) { p := add(p, 0x20) } {
                let word := calldataload(p)
                mstore(add(m, 0x04), shr(96, word))
                mstore(add(m, 0x24), and(word, 0xffffffffffffffffffffffff))
                let ok := call(gas(), token, 0, m, 0x44, 0x00, 0x20)
                // true returned, or nothing returned (the pull above proved the token is a contract)
                if iszero(and(ok, or(and(eq(mload(0x00), 1), gt(returndatasize(), 0x1f)), iszero(returndatasize())))) {
                    failed := 1
                    break
                }
            }
        }
        if (failed) revert SafeTransfer.TokenTransferFailed(token);
        emit BatchPaid(batchId, msg.sender, token, total, documentsHash);
    }
}
