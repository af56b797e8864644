// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {SafeTransfer} from "./SafeTransfer.sol";

/// @title Agora escrow with cumulative vouchers
/// @notice A requester locks tokens for one provider until a deadline. For every debit note or invoice it
/// accepts, it signs (EIP-712) a voucher over the cumulative accepted amount of that deposit; the provider
/// claims the part above what it already claimed, whenever it likes and without the requester, until the
/// deadline. After the deadline the requester takes back what was not claimed.
/// A deposit is one storage slot: its parties and token are not stored but hashed into its id, so every
/// call names them again and the id proves them.
contract AgoraEscrow {
    using SafeTransfer for address;

    /// @dev amount and claimed fit 96 bits (7.9e28 base units), the deadline 64 bits: one slot.
    struct Deposit {
        uint96 amount;
        uint96 claimed;
        uint64 deadline;
    }

    struct Opening {
        address provider;
        bytes32 salt;
        uint96 amount;
    }

    /// @dev The voucher signature is EIP-2098 compact: r and (yParity << 255 | s).
    struct Claim {
        address requester;
        bytes32 salt;
        uint96 cumulative;
        bytes32 r;
        bytes32 vs;
    }

    bytes32 public constant VOUCHER_TYPEHASH = keccak256("Voucher(bytes32 depositId,uint256 cumulative)");
    bytes32 private constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 private constant NAME_HASH = keccak256("AgoraEscrow");
    bytes32 private constant VERSION_HASH = keccak256("1");
    /// @dev Above this s a signature is the malleable twin of another (EIP-2).
    uint256 private constant HALF_ORDER = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;
    /// @notice Most entries in one createMany or claimMany: keeps a batch under the 2^24 gas cap per transaction (EIP-7825).
    uint256 public constant MAX_BATCH = 500;

    uint256 private immutable deployedChainId;
    bytes32 private immutable deployedDomainSeparator;

    mapping(bytes32 => Deposit) public deposits;

    event DepositOpened(
        bytes32 indexed id, address indexed requester, address indexed provider, address token, uint256 amount, uint64 deadline
    );
    event DepositToppedUp(bytes32 indexed id, uint256 amount, uint64 deadline);
    event Claimed(bytes32 indexed id, uint256 cumulative);
    event Reclaimed(bytes32 indexed id, uint256 refund);

    error DepositExists(bytes32 id);
    error UnknownDeposit(bytes32 id);
    error ZeroAmount();
    error AmountTooLarge();
    error DeadlineInPast(uint64 deadline);
    error DeadlineShortened(uint64 current, uint64 requested);
    error DeadlinePassed(uint64 deadline);
    error DeadlineNotReached(uint64 deadline);
    error BadSignature();
    error VoucherAlreadyClaimed(uint256 cumulative);
    error StaleVoucher(uint256 cumulative, uint256 claimed);
    error ExceedsDeposit(uint256 cumulative, uint256 amount);
    error NothingToReclaim(bytes32 id);
    error BatchSize(uint256 size);

    constructor() {
        deployedChainId = block.chainid;
        deployedDomainSeparator = _domainSeparator();
    }

    function depositId(address requester, address provider, address token, bytes32 salt) public pure returns (bytes32) {
        return keccak256(abi.encode(requester, provider, token, salt));
    }

    function domainSeparator() public view returns (bytes32) {
        // recomputed after a chain split so vouchers signed for one chain do not pay on the other
        return block.chainid == deployedChainId ? deployedDomainSeparator : _domainSeparator();
    }

    /// @notice The EIP-712 digest the requester signs for a voucher.
    function voucherDigest(bytes32 id, uint256 cumulative) public view returns (bytes32) {
        return keccak256(abi.encodePacked("\x19\x01", domainSeparator(), keccak256(abi.encode(VOUCHER_TYPEHASH, id, cumulative))));
    }

    /// @notice Opens one deposit; the caller (requester) must have approved `amount` of `token`.
    function create(address provider, address token, bytes32 salt, uint96 amount, uint64 deadline) external returns (bytes32 id) {
        _checkDeadline(deadline);
        id = _open(provider, token, salt, amount, deadline);
        token.pull(msg.sender, address(this), amount);
    }

    /// @notice Opens one deposit per entry, all in one token and with one deadline, pulling the total once.
    function createMany(address token, uint64 deadline, Opening[] calldata openings) external {
        uint256 count = openings.length;
        if (count == 0 || count > MAX_BATCH) revert BatchSize(count);
        _checkDeadline(deadline);
        uint256 total;
        for (uint256 i; i < count;) {
            Opening calldata o = openings[i];
            _open(o.provider, token, o.salt, o.amount, deadline);
            unchecked {
                total += o.amount; // at most MAX_BATCH * 2^96
                ++i;
            }
        }
        token.pull(msg.sender, address(this), total);
    }

    /// @notice Adds `amount` to a deposit and moves its deadline to `deadline`, which may not come earlier.
    function topUp(address provider, address token, bytes32 salt, uint96 amount, uint64 deadline) external {
        bytes32 id = depositId(msg.sender, provider, token, salt);
        Deposit memory d = deposits[id];
        if (d.deadline == 0) revert UnknownDeposit(id);
        if (deadline < d.deadline) revert DeadlineShortened(d.deadline, deadline);
        _checkDeadline(deadline);
        uint256 sum = uint256(d.amount) + amount;
        if (sum > type(uint96).max) revert AmountTooLarge();
        deposits[id] = Deposit(uint96(sum), d.claimed, deadline);
        emit DepositToppedUp(id, amount, deadline);
        if (amount != 0) token.pull(msg.sender, address(this), amount);
    }

    /// @notice The provider claims what a voucher grants above what it already claimed.
    function claim(address token, Claim calldata c) external {
        token.push(msg.sender, _claim(token, c));
    }

    /// @notice Claims vouchers of many deposits in one token (from any requesters), paid by one transfer.
    function claimMany(address token, Claim[] calldata claims) external {
        uint256 count = claims.length;
        if (count == 0 || count > MAX_BATCH) revert BatchSize(count);
        uint256 owed;
        for (uint256 i; i < count;) {
            unchecked {
                owed += _claim(token, claims[i]); // at most MAX_BATCH * 2^96
                ++i;
            }
        }
        token.push(msg.sender, owed);
    }

    /// @notice After the deadline the requester takes back what the provider did not claim.
    function reclaim(address provider, address token, bytes32 salt) external {
        bytes32 id = depositId(msg.sender, provider, token, salt);
        Deposit memory d = deposits[id];
        if (d.deadline == 0) revert UnknownDeposit(id);
        if (block.timestamp < d.deadline) revert DeadlineNotReached(d.deadline);
        uint256 refund = d.amount - d.claimed;
        if (refund == 0) revert NothingToReclaim(id);
        // the slot stays (amount = claimed) so the id can never be reopened and old vouchers replayed
        deposits[id] = Deposit(d.claimed, d.claimed, d.deadline);
        emit Reclaimed(id, refund);
        token.push(msg.sender, refund);
    }

    function _open(address provider, address token, bytes32 salt, uint96 amount, uint64 deadline) private returns (bytes32 id) {
        if (amount == 0) revert ZeroAmount();
        id = depositId(msg.sender, provider, token, salt);
        if (deposits[id].deadline != 0) revert DepositExists(id);
        deposits[id] = Deposit(amount, 0, deadline);
        emit DepositOpened(id, msg.sender, provider, token, amount, deadline);
    }

    /// @dev Checks a voucher for a deposit of the caller and books it; returns what it adds.
    function _claim(address token, Claim calldata c) private returns (uint256 delta) {
        bytes32 id = depositId(c.requester, msg.sender, token, c.salt);
        Deposit memory d = deposits[id];
        if (d.deadline == 0) revert UnknownDeposit(id);
        if (block.timestamp >= d.deadline) revert DeadlinePassed(d.deadline);
        if (c.cumulative == d.claimed) revert VoucherAlreadyClaimed(c.cumulative);
        if (c.cumulative < d.claimed) revert StaleVoucher(c.cumulative, d.claimed);
        if (c.cumulative > d.amount) revert ExceedsDeposit(c.cumulative, d.amount);
        if (_signer(voucherDigest(id, c.cumulative), c.r, c.vs) != c.requester) revert BadSignature();
        deposits[id] = Deposit(d.amount, c.cumulative, d.deadline);
        emit Claimed(id, c.cumulative);
        unchecked {
            delta = c.cumulative - d.claimed;
        }
    }

    function _signer(bytes32 digest, bytes32 r, bytes32 vs) private pure returns (address signer) {
        uint256 s = uint256(vs) & ((1 << 255) - 1);
        if (s > HALF_ORDER) return address(0);
        uint8 v = uint8((uint256(vs) >> 255) + 27);
        signer = ecrecover(digest, v, r, bytes32(s));
    }

    function _checkDeadline(uint64 deadline) private view {
        if (deadline <= block.timestamp) revert DeadlineInPast(deadline);
    }

    function _domainSeparator() private view returns (bytes32) {
        return keccak256(abi.encode(DOMAIN_TYPEHASH, NAME_HASH, VERSION_HASH, block.chainid, address(this)));
    }
}
