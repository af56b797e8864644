// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @notice Calls ERC-20 transfer/transferFrom and accepts tokens that return nothing (as some deployed ones do),
/// but refuses a false return, a revert, or an address with no code.
/// @dev In assembly, in scratch memory: a payout loop calls this hundreds of times per transaction, and
/// Solidity's encoding would grow memory on every call.
library SafeTransfer {
    error TokenTransferFailed(address token);

    function pull(address token, address from, address to, uint256 amount) internal {
        bool success;
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, 0x23b872dd00000000000000000000000000000000000000000000000000000000)
            mstore(add(m, 0x04), from)
            mstore(add(m, 0x24), to)
            mstore(add(m, 0x44), amount)
            let ok := call(gas(), token, 0, m, 0x64, 0x00, 0x20)
            // true returned, or nothing returned by a contract
            success := and(ok, and(eq(mload(0x00), 1), gt(returndatasize(), 0x1f)))
            if iszero(success) { success := and(ok, and(iszero(returndatasize()), gt(extcodesize(token), 0))) }
        }
        if (!success) revert TokenTransferFailed(token);
    }

    function push(address token, address to, uint256 amount) internal {
        bool success;
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, 0xa9059cbb00000000000000000000000000000000000000000000000000000000)
            mstore(add(m, 0x04), to)
            mstore(add(m, 0x24), amount)
            let ok := call(gas(), token, 0, m, 0x44, 0x00, 0x20)
            // true returned, or nothing returned by a contract
            success := and(ok, and(eq(mload(0x00), 1), gt(returndatasize(), 0x1f)))
            if iszero(success) { success := and(ok, and(iszero(returndatasize()), gt(extcodesize(token), 0))) }
        }
        if (!success) revert TokenTransferFailed(token);
    }
}
