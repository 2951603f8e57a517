/// A pickle interpreter that executes nothing: it reads the subset of pickle a PyTorch state dict uses and builds
/// inert values, with every global looked up in a fixed allow-list and interpreted as data.
///
/// Mirrors the intent of torch's weights-only unpickler (`torch/_weights_only_unpickler.py`), narrower: GLOBAL and
/// STACK_GLOBAL accept only the tensor-rebuilding functions, the typed storage classes, the tensor and parameter
/// classes and `collections.OrderedDict`; REDUCE applies only those functions (as data transformations written here);
/// BUILD only on dictionaries (the state is dropped); BINPERSID only on `('storage', …)` tuples. INST, OBJ, NEWOBJ,
/// EXT and every opcode not listed are refused. Containers live in an arena addressed by index, so no value owns
/// another: deep nesting or a cycle through the memo cannot recurse, and limits bound the work and memory.
struct PickleMachine {
    /// A value on the stack or in a container.
    enum Value: Equatable {
        case none
        case bool(Bool)
        case int(Int64)
        /// An integer wider than 64 bits (LONG1/LONG4), as its little-endian two's-complement bytes.
        case bigInt([UInt8])
        case float(Double)
        case string(String)
        case bytes(Int)
        case global(String)
        /// An arena container (tuple, list or dictionary).
        case object(Int)
        /// A storage reference made by BINPERSID.
        case storage(Int)
        /// A tensor made by one of the rebuild functions.
        case tensor(Int)
    }

    enum Container {
        case tuple([Value])
        case list([Value])
        case dictionary([(key: Value, value: Value)])
    }

    /// A storage named by a persistent id: `('storage', <type>, key, location, numel[, view])`.
    struct Storage {
        var dtype: DType
        var key: String
        var elementCount: Int
        /// Legacy format only: a view `(root key, element offset, element count)` of another storage.
        var view: (key: String, offset: Int, count: Int)?
        /// Byte offset of the BINPERSID opcode, for messages.
        var offset: Int
    }

    /// A tensor as a rebuild function describes it: a strided view of a storage.
    struct Tensor {
        var storage: Int
        var storageOffset: Int
        var shape: [Int]
        var strides: [Int]
        var offset: Int
    }

    /// Why the pickle was refused (`refused`: it asks for something outside the allow-list) or is malformed.
    struct Failure: Error {
        var offset: Int
        var reason: String
        var refused: Bool
    }

    /// Limits; a bert-large state dict uses a few thousand of each.
    static let maximumOperations = 20_000_000
    static let maximumContainers = 1_000_000
    static let maximumMarks = 1_000
    static let maximumStack = 1_000_000
    static let maximumMemo = 1_000_000
    static let maximumRank = 8

    /// Callables REDUCE may apply, by `module.name`.
    static let rebuildFunctions: Set<String> = [
        "torch._utils._rebuild_tensor", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_parameter",
        "torch._utils._rebuild_parameter_with_state", "torch._tensor._rebuild_from_type_v2",
        "collections.OrderedDict", "torch.Size",
    ]
    /// Classes allowed only as the type argument of `_rebuild_from_type_v2`.
    static let tensorClasses: Set<String> = ["torch.Tensor", "torch._tensor.Tensor", "torch.nn.parameter.Parameter"]
    /// Typed storage classes and the element type each stands for (nil: known but not read).
    static let storageTypes: [String: DType?] = [
        "torch.DoubleStorage": .f64, "torch.FloatStorage": .f32, "torch.HalfStorage": .f16, "torch.BFloat16Storage": .bf16,
        "torch.LongStorage": .i64, "torch.IntStorage": .i32, "torch.ShortStorage": .i16, "torch.CharStorage": .i8,
        "torch.ByteStorage": .u8, "torch.BoolStorage": .bool,
        "torch.ComplexFloatStorage": nil, "torch.ComplexDoubleStorage": nil, "torch.QInt8Storage": nil, "torch.QUInt8Storage": nil,
    ]

    private let bytes: UnsafeRawBufferPointer
    private var position = 0
    private var stack: [Value] = []
    private var marks: [Int] = []
    private var memo: [UInt32: Value] = [:]
    private(set) var containers: [Container] = []
    private(set) var storages: [Storage] = []
    private(set) var tensors: [Tensor] = []
    /// Whether persistent ids carry the legacy sixth element (view metadata).
    private let legacy: Bool

    init(_ bytes: UnsafeRawBufferPointer, legacy: Bool = false) {
        self.bytes = bytes
        self.legacy = legacy
        // A container takes at least one opcode byte (a state dict spends about 100 bytes per tensor on 6 of them), so
        // a pickle may build at most one container per 8 of its bytes: memory stays proportional to the file.
        containerLimit = min(Self.maximumContainers, bytes.count / 8 + 1_000)
    }

    /// The most containers this pickle may build.
    private let containerLimit: Int

    /// Byte offset just after STOP: where the next pickle of a legacy stream begins.
    var end: Int { position }

    /// Runs the pickle starting at `start` up to STOP and returns the value it leaves.
    mutating func run(from start: Int = 0) throws(Failure) -> Value {
        position = start
        stack.removeAll(keepingCapacity: true)
        marks.removeAll()
        memo.removeAll()
        var operations = 0
        while true {
            operations += 1
            guard operations <= Self.maximumOperations else { throw malformed(position, "more than \(Self.maximumOperations) operations") }
            guard stack.count <= Self.maximumStack else { throw malformed(position, "the stack holds more than \(Self.maximumStack) values") }
            let at = position
            let opcode = try byte()
            switch opcode {
            case 0x80: // PROTO
                let version = try byte()
                guard version <= 5 else { throw malformed(at, "protocol \(version) is newer than 5") }
            case 0x95: _ = try integer(8) // FRAME: a length hint only
            case 0x2E: // STOP
                guard marks.isEmpty, stack.count == 1 else {
                    throw malformed(at, "STOP with \(stack.count) values on the stack and \(marks.count) open marks")
                }
                return stack[0]
            case 0x28: // MARK
                guard marks.count < Self.maximumMarks else { throw malformed(at, "more than \(Self.maximumMarks) nested marks") }
                marks.append(stack.count)
            case 0x4E: stack.append(.none) // NONE
            case 0x88: stack.append(.bool(true)) // NEWTRUE
            case 0x89: stack.append(.bool(false)) // NEWFALSE
            case 0x4B: stack.append(.int(Int64(try integer(1)))) // BININT1
            case 0x4D: stack.append(.int(Int64(try integer(2)))) // BININT2
            case 0x4A: stack.append(.int(Int64(Int32(truncatingIfNeeded: try integer(4))))) // BININT
            case 0x8A: // LONG1
                let count = Int(try byte())
                stack.append(long(try take(count)))
            case 0x8B: // LONG4
                let count = try length(4, at: at)
                stack.append(long(try take(count)))
            case 0x47: // BINFLOAT, big-endian
                let raw = try take(8)
                stack.append(.float(Double(bitPattern: raw.reduce(0) { $0 << 8 | UInt64($1) })))
            case 0x58: stack.append(.string(try text(try length(4, at: at), at: at))) // BINUNICODE
            case 0x8C: stack.append(.string(try text(Int(try byte()), at: at))) // SHORT_BINUNICODE
            case 0x8D: stack.append(.string(try text(try length(8, at: at), at: at))) // BINUNICODE8
            case 0x55: stack.append(.string(try text(Int(try byte()), at: at))) // SHORT_BINSTRING
            case 0x54: stack.append(.string(try text(try length(4, at: at), at: at))) // BINSTRING
            case 0x43: stack.append(.bytes(try take(Int(try byte())).count)) // SHORT_BINBYTES
            case 0x42: stack.append(.bytes(try take(try length(4, at: at)).count)) // BINBYTES
            case 0x29: stack.append(try make(.tuple([]), at: at)) // EMPTY_TUPLE
            case 0x5D: stack.append(try make(.list([]), at: at)) // EMPTY_LIST
            case 0x7D: stack.append(try make(.dictionary([]), at: at)) // EMPTY_DICT
            case 0x85, 0x86, 0x87: // TUPLE1, TUPLE2, TUPLE3
                let count = Int(opcode - 0x84)
                guard stack.count >= count + (marks.last ?? 0) else { throw malformed(at, "TUPLE\(count) needs \(count) values on the stack") }
                let items = Array(stack.suffix(count))
                stack.removeLast(count)
                stack.append(try make(.tuple(items), at: at))
            case 0x74: stack.append(try make(.tuple(try popMark(at)), at: at)) // TUPLE
            case 0x6C: stack.append(try make(.list(try popMark(at)), at: at)) // LIST
            case 0x64: // DICT
                let items = try popMark(at)
                guard items.count % 2 == 0 else { throw malformed(at, "DICT with an odd number of values") }
                stack.append(try make(.dictionary(stride(from: 0, to: items.count, by: 2).map { (items[$0], items[$0 + 1]) }), at: at))
            case 0x71: try put(UInt32(try integer(1)), at: at) // BINPUT
            case 0x72: try put(UInt32(try integer(4)), at: at) // LONG_BINPUT
            case 0x94: try put(UInt32(truncatingIfNeeded: memo.count), at: at) // MEMOIZE
            case 0x68, 0x6A: // BINGET, LONG_BINGET
                let key = UInt32(try integer(opcode == 0x68 ? 1 : 4))
                guard let value = memo[key] else { throw malformed(at, "memo entry \(key) is read before it is written") }
                stack.append(value)
            case 0x30: _ = try pop(at) // POP
            case 0x32: stack.append(try peek(at)) // DUP
            case 0x31: _ = try popMark(at) // POP_MARK
            case 0x63: // GLOBAL
                let module = try line(at: at), name = try line(at: at)
                stack.append(try global(module, name, at: at))
            case 0x93: // STACK_GLOBAL
                let name = try pop(at), module = try pop(at)
                guard case let .string(n) = name, case let .string(m) = module else {
                    throw malformed(at, "STACK_GLOBAL needs two strings on the stack")
                }
                stack.append(try global(m, n, at: at))
            case 0x61: // APPEND
                let value = try pop(at)
                try append([value], at: at)
            case 0x65: try append(try popMark(at), at: at) // APPENDS
            case 0x73: // SETITEM
                let value = try pop(at), key = try pop(at)
                try setItems([key, value], at: at)
            case 0x75: try setItems(try popMark(at), at: at) // SETITEMS
            case 0x62: // BUILD: only a dictionary's (an OrderedDict's `_metadata`), and the state is dropped.
                _ = try pop(at)
                guard case let .object(index) = try peek(at), case .dictionary = containers[index] else {
                    throw refused(at, "BUILD on something other than a dictionary")
                }
            case 0x51: // BINPERSID
                let id = try pop(at)
                stack.append(try persistent(id, at: at))
            case 0x52: // REDUCE
                let arguments = try pop(at), callable = try pop(at)
                stack.append(try reduce(callable, arguments, at: at))
            default:
                throw refused(at, "opcode \(Self.describe(opcode)) is not allowed")
            }
        }
    }

    /// The items of the tuple, list or dictionary keys and values `value` refers to.
    func items(of value: Value) -> [Value]? {
        guard case let .object(index) = value else { return nil }
        switch containers[index] {
        case let .tuple(items), let .list(items): return items
        case .dictionary: return nil
        }
    }

    /// The entries of the dictionary `value` refers to.
    func entries(of value: Value) -> [(key: Value, value: Value)]? {
        guard case let .object(index) = value, case let .dictionary(entries) = containers[index] else { return nil }
        return entries
    }

    // MARK: - Reading

    private mutating func byte() throws(Failure) -> UInt8 {
        guard position < bytes.count else { throw malformed(position, "the pickle ends without STOP") }
        defer { position += 1 }
        return bytes[position]
    }

    private mutating func take(_ count: Int) throws(Failure) -> UnsafeRawBufferPointer {
        guard count >= 0, count <= bytes.count - position else {
            throw malformed(position, "a field of \(count) bytes runs past the end of the pickle")
        }
        defer { position += count }
        return UnsafeRawBufferPointer(rebasing: bytes[position..<(position + count)])
    }

    private mutating func integer(_ count: Int) throws(Failure) -> UInt64 {
        try take(count).reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }

    private mutating func length(_ count: Int, at: Int) throws(Failure) -> Int {
        let value = try integer(count)
        guard value <= UInt64(bytes.count - position) else {
            throw malformed(at, "a length of \(value) bytes runs past the end of the pickle")
        }
        return Int(value)
    }

    private mutating func text(_ count: Int, at: Int) throws(Failure) -> String {
        guard let string = String(validating: try take(count), as: UTF8.self) else { throw malformed(at, "a string is not UTF-8") }
        return string
    }

    private mutating func line(at: Int) throws(Failure) -> String {
        guard let newline = bytes[position...].prefix(256).firstIndex(of: 0x0A) else {
            throw malformed(at, "GLOBAL names a module or name longer than 256 bytes or unterminated")
        }
        let text = try text(newline - position, at: at)
        position += 1
        return text
    }

    private func long(_ raw: UnsafeRawBufferPointer) -> Value {
        guard raw.count <= 8 else { return .bigInt(Array(raw)) }
        guard !raw.isEmpty else { return .int(0) }
        var value = raw.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        if raw.count < 8, raw[raw.count - 1] & 0x80 != 0 { value |= ~UInt64(0) << (8 * UInt64(raw.count)) }
        return .int(Int64(bitPattern: value))
    }

    // MARK: - Stack and memo

    private mutating func pop(_ at: Int) throws(Failure) -> Value {
        guard stack.count > (marks.last ?? 0) else { throw malformed(at, "the stack is empty") }
        return stack.removeLast()
    }

    private func peek(_ at: Int) throws(Failure) -> Value {
        guard let last = stack.last, stack.count > (marks.last ?? 0) else { throw malformed(at, "the stack is empty") }
        return last
    }

    private mutating func popMark(_ at: Int) throws(Failure) -> [Value] {
        guard let mark = marks.popLast() else { throw malformed(at, "no MARK to pop to") }
        let items = Array(stack[mark...])
        stack.removeSubrange(mark...)
        return items
    }

    private mutating func put(_ key: UInt32, at: Int) throws(Failure) {
        guard memo.count < Self.maximumMemo || memo[key] != nil else { throw malformed(at, "more than \(Self.maximumMemo) memo entries") }
        memo[key] = try peek(at)
    }

    private mutating func make(_ container: Container, at: Int) throws(Failure) -> Value {
        guard containers.count < containerLimit else {
            throw malformed(at, "more than \(containerLimit) containers (one per 8 bytes of pickle at most)")
        }
        containers.append(container)
        return .object(containers.count - 1)
    }

    private mutating func append(_ values: [Value], at: Int) throws(Failure) {
        guard case let .object(index) = try peek(at), case var .list(items) = containers[index] else {
            throw refused(at, "APPEND to something other than a list")
        }
        containers[index] = .list([])
        items += values
        containers[index] = .list(items)
    }

    private mutating func setItems(_ values: [Value], at: Int) throws(Failure) {
        guard values.count % 2 == 0 else { throw malformed(at, "SETITEMS with an odd number of values") }
        guard case let .object(index) = try peek(at), case var .dictionary(entries) = containers[index] else {
            throw refused(at, "SETITEM on something other than a dictionary")
        }
        containers[index] = .dictionary([])
        for i in stride(from: 0, to: values.count, by: 2) { entries.append((values[i], values[i + 1])) }
        containers[index] = .dictionary(entries)
    }

    // MARK: - Globals, persistent ids, REDUCE

    private func global(_ module: String, _ name: String, at: Int) throws(Failure) -> Value {
        let full = module + "." + name
        if Self.rebuildFunctions.contains(full) || Self.tensorClasses.contains(full) || Self.storageTypes[full] != nil {
            return .global(full)
        }
        let root = module.split(separator: ".").first.map(String.init) ?? module
        if ["torch", "transformers", "__main__"].contains(root) && name.first?.isUppercase == true {
            throw refused(at, "GLOBAL \(full) is a pickled Python object, not a state dict of tensors; load it in Python and save it with save_pretrained(dir, safe_serialization=True)")
        }
        throw refused(at, "GLOBAL \(full) is not on the allow-list (tensor rebuild functions, storage types, OrderedDict)")
    }

    private mutating func persistent(_ id: Value, at: Int) throws(Failure) -> Value {
        guard let fields = items(of: id), fields.first == .string("storage") else {
            throw refused(at, "BINPERSID of something other than a ('storage', …) tuple")
        }
        guard fields.count == (legacy ? 6 : 5), case let .global(type) = fields[1], case let .string(key) = fields[2],
              case .string = fields[3], case let .int(count) = fields[4], count >= 0, let elementCount = Int(exactly: count)
        else { throw malformed(at, "a storage id is not ('storage', type, key, location, numel\(legacy ? ", view" : ""))") }
        guard let known = Self.storageTypes[type] else { throw refused(at, "\(type) used as a storage type") }
        guard let dtype = known else { throw refused(at, "storage type \(type) holds an element type bertinspect does not read") }
        var view: (String, Int, Int)?
        if legacy, fields[5] != .none {
            guard let parts = items(of: fields[5]), parts.count == 3, case let .string(root) = parts[0],
                  case let .int(offset) = parts[1], case let .int(size) = parts[2], offset >= 0, size >= 0
            else { throw malformed(at, "a storage view is not (key, offset, size)") }
            view = (root, Int(offset), Int(size))
        }
        storages.append(Storage(dtype: dtype, key: key, elementCount: elementCount, view: view, offset: at))
        return .storage(storages.count - 1)
    }

    private mutating func reduce(_ callable: Value, _ arguments: Value, at: Int) throws(Failure) -> Value {
        guard case let .global(function) = callable else { throw refused(at, "REDUCE on something other than an allowed function") }
        guard Self.rebuildFunctions.contains(function) else { throw refused(at, "REDUCE calling \(function)") }
        guard let args = items(of: arguments), case .object(let argumentIndex) = arguments, case .tuple = containers[argumentIndex] else {
            throw malformed(at, "REDUCE arguments are not a tuple")
        }
        switch function {
        case "collections.OrderedDict":
            guard args.isEmpty else { throw refused(at, "OrderedDict built from arguments") }
            return try make(.dictionary([]), at: at)
        case "torch.Size":
            guard args.count == 1, let dims = items(of: args[0]) else { throw malformed(at, "torch.Size takes one tuple") }
            return try make(.tuple(dims), at: at)
        case "torch._utils._rebuild_tensor", "torch._utils._rebuild_tensor_v2":
            guard args.count >= 4, args.count <= 7, case let .storage(storage) = args[0], case let .int(offset) = args[1],
                  let size = integers(args[2]), let strides = integers(args[3])
            else { throw malformed(at, "\(function) needs (storage, offset, size, stride, …)") }
            guard size.count == strides.count else { throw malformed(at, "a tensor has \(size.count) sizes but \(strides.count) strides") }
            guard size.count <= Self.maximumRank else { throw malformed(at, "a tensor of rank \(size.count), more than \(Self.maximumRank)") }
            guard offset >= 0, size.allSatisfy({ $0 >= 0 }), strides.allSatisfy({ $0 >= 0 }) else {
                throw malformed(at, "a tensor with a negative offset, size or stride")
            }
            tensors.append(Tensor(storage: storage, storageOffset: Int(offset), shape: size.map { Int($0) }, strides: strides.map { Int($0) }, offset: at))
            return .tensor(tensors.count - 1)
        case "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state":
            guard let first = args.first, case .tensor = first else { throw malformed(at, "\(function) needs a tensor") }
            return first
        case "torch._tensor._rebuild_from_type_v2":
            guard args.count == 4, case let .global(inner) = args[0], case let .global(type) = args[1], Self.tensorClasses.contains(type) else {
                throw refused(at, "_rebuild_from_type_v2 with a type other than Tensor or Parameter")
            }
            guard inner != function else { throw refused(at, "_rebuild_from_type_v2 applied to itself") }
            return try reduce(args[0], args[2], at: at)
        default:
            throw refused(at, "REDUCE calling \(function)")
        }
    }

    private func integers(_ value: Value) -> [Int64]? {
        guard let items = items(of: value) else { return nil }
        var result: [Int64] = []
        for item in items {
            guard case let .int(v) = item else { return nil }
            result.append(v)
        }
        return result
    }

    private func malformed(_ offset: Int, _ reason: String) -> Failure { Failure(offset: offset, reason: reason, refused: false) }
    private func refused(_ offset: Int, _ reason: String) -> Failure { Failure(offset: offset, reason: reason, refused: true) }

    /// An opcode as pickletools names it, for messages.
    static func describe(_ opcode: UInt8) -> String {
        let names: [UInt8: String] = [
            0x69: "INST", 0x6F: "OBJ", 0x81: "NEWOBJ", 0x92: "NEWOBJ_EX", 0x82: "EXT1", 0x83: "EXT2", 0x84: "EXT4",
            0x50: "PERSID", 0x49: "INT", 0x4C: "LONG", 0x46: "FLOAT", 0x53: "STRING", 0x56: "UNICODE", 0x67: "GET",
            0x70: "PUT", 0x8F: "EMPTY_SET", 0x90: "ADDITEMS", 0x91: "FROZENSET", 0x96: "BYTEARRAY8", 0x97: "NEXT_BUFFER",
            0x98: "READONLY_BUFFER", 0x8E: "BINBYTES8",
        ]
        let hex = "0x" + String(opcode, radix: 16, uppercase: true)
        return names[opcode].map { "\($0) (\(hex))" } ?? hex
    }
}
