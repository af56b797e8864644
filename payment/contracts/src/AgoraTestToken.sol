// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title Agora test token
/// @notice A plain ERC-20 (18 decimals) for dev and test networks: anyone may mint through the faucet.
/// It also offers the cheapest batch payout: the payer's balance is debited once and each payee credited
/// in place, with one event per batch (no Transfer event per payee, so wallets that index only
/// Transfer events will not see those credits).
contract AgoraTestToken {
    string public constant name = "Agora Test Token";
    string public constant symbol = "tAGR";
    uint8 public constant decimals = 18;
    /// @notice Most tokens one faucet call may mint, so a typo cannot overflow the supply.
    uint256 public constant FAUCET_LIMIT = 1e12 ether;
    /// @notice Most payments in one batch: keeps a batch of fresh payees under the 2^24 gas cap per transaction (EIP-7825).
    uint256 public constant MAX_BATCH = 500;

    uint256 public totalSupply;
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;
    /// @notice batch id => paid; a batch id commits to payer, token and document ids.
    mapping(bytes32 => bool) public paid;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);
    event BatchPaid(bytes32 indexed batchId, address indexed payer, uint256 total, bytes32 documentsHash);

    error InsufficientBalance(uint256 balance, uint256 needed);
    error InsufficientAllowance(uint256 allowance, uint256 needed);
    error InvalidReceiver();
    error FaucetLimitExceeded(uint256 limit);
    error BatchAlreadyPaid(bytes32 batchId);
    error BatchSize(uint256 size);

    function transfer(address to, uint256 value) external returns (bool) {
        _move(msg.sender, to, value);
        return true;
    }

    function transferFrom(address from, address to, uint256 value) external returns (bool) {
        uint256 allowed = allowance[from][msg.sender];
        if (allowed != type(uint256).max) {
            if (allowed < value) revert InsufficientAllowance(allowed, value);
            unchecked {
                allowance[from][msg.sender] = allowed - value;
            }
        }
        _move(from, to, value);
        return true;
    }

    function approve(address spender, uint256 value) external returns (bool) {
        allowance[msg.sender][spender] = value;
        emit Approval(msg.sender, spender, value);
        return true;
    }

    /// @notice The dev-network faucet.
    function mint(address to, uint256 value) external {
        if (to == address(0)) revert InvalidReceiver();
        if (value > FAUCET_LIMIT) revert FaucetLimitExceeded(FAUCET_LIMIT);
        totalSupply += value;
        unchecked {
            balanceOf[to] += value; // cannot overflow: bounded by totalSupply
        }
        emit Transfer(address(0), to, value);
    }

    /// @notice Batch id of a batch paid by `payer` in `token` for the documents hashed in `documentsHash`.
    function batchIdOf(address payer, address token, bytes32 documentsHash) public pure returns (bytes32) {
        return keccak256(abi.encode(payer, token, documentsHash));
    }

    /// @notice Pays every packed word (payee << 96 | amount) from the caller's balance, once per batch id.
    function payBatch(bytes32 documentsHash, uint256[] calldata payments) external {
        uint256 count = payments.length;
        if (count == 0 || count > MAX_BATCH) revert BatchSize(count);
        bytes32 batchId = batchIdOf(msg.sender, address(this), documentsHash);
        if (paid[batchId]) revert BatchAlreadyPaid(batchId);
        paid[batchId] = true;
        uint256 total;
        bool noPayee;
        assembly ("memory-safe") {
            // one keccak, one SLOAD and one SSTORE per payee: the storage floor
            mstore(0x20, balanceOf.slot)
            let end := add(payments.offset, shl(5, count))
            for { let p := payments.offset } lt(p, end) { p := add(p, 0x20) } {
                let word := calldataload(p)
                let to := shr(96, word)
                noPayee := or(noPayee, iszero(to))
                let amount := and(word, 0xffffffffffffffffffffffff)
                mstore(0x00, to)
                let slot := keccak256(0x00, 0x40)
                // cannot overflow: every amount is below 2^96 and the payer's balance, checked below, bounds the total
                sstore(slot, add(sload(slot), amount))
                total := add(total, amount)
            }
        }
        if (noPayee) revert InvalidReceiver();
        uint256 balance = balanceOf[msg.sender];
        if (balance < total) revert InsufficientBalance(balance, total);
        unchecked {
            // credits to the payer itself were added above; the payer's balance still covers the total
            balanceOf[msg.sender] = balance - total;
        }
        emit BatchPaid(batchId, msg.sender, total, documentsHash);
    }

    function _move(address from, address to, uint256 value) private {
        if (to == address(0)) revert InvalidReceiver();
        uint256 balance = balanceOf[from];
        if (balance < value) revert InsufficientBalance(balance, value);
        unchecked {
            balanceOf[from] = balance - value;
            balanceOf[to] += value;
        }
        emit Transfer(from, to, value);
    }
}
