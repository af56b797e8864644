// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @notice Calls ERC-20 transfer/transferFrom and accepts tokens that return nothing (as some deployed ones do),
/// but refuses a false return, a revert, or an address with no code.
library SafeTransfer {
    error TokenTransferFailed(address token);

    function pull(address token, address from, address to, uint256 amount) internal {
        (bool ok, bytes memory ret) = token.call(abi.encodeWithSelector(0x23b872dd, from, to, amount));
        check(token, ok, ret);
    }

    function push(address token, address to, uint256 amount) internal {
        (bool ok, bytes memory ret) = token.call(abi.encodeWithSelector(0xa9059cbb, to, amount));
        check(token, ok, ret);
    }

    function check(address token, bool ok, bytes memory ret) private view {
        if (!ok || (ret.length == 0 ? token.code.length == 0 : !abi.decode(ret, (bool)))) revert TokenTransferFailed(token);
    }
}
