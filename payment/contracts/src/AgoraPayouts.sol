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
        for (uint256 i; i < count;) {
            unchecked {
                total += uint96(payments[i]); // at most MAX_BATCH * 2^96
                ++i;
            }
        }
        token.pull(msg.sender, address(this), total);
        for (uint256 i; i < count;) {
            uint256 word = payments[i];
            token.push(address(uint160(word >> 96)), uint96(word));
            unchecked {
                ++i;
            }
        }
        emit BatchPaid(batchId, msg.sender, token, total, documentsHash);
    }
}
