import CHDF5
import TensorFormats

/// A dataset found by walking the file along hard links, with the facts needed to read it safely.
struct HDF5Dataset: Sendable {
    /// Path from the root without the leading slash.
    var path: String
    var dtype: DType
    var shape: [Int]
    /// Byte offset of contiguous, little-endian data in the file, when it can be viewed in place.
    var fileOffset: Int?
    /// Bytes of file storage the dataset's data occupies (at least its declared size).
    var storedBytes: Int
}

/// A value of an HDF5 attribute, as far as bertinspect reads attributes.
enum HDF5AttributeValue: Sendable, Equatable {
    case strings([String])
    case numbers([Double])
    case unreadable
}

/// Read-only access to an HDF5 file that treats its contents as hostile: only hard links are followed,
/// external storage, virtual datasets and filters are refused, every size is checked against the file, and every
/// dataset must have its data stored (the sum of what datasets declare can never exceed what the file holds).
/// Links and attributes are visited by iteration, once each, so the work is linear in what the file holds.
final class HDF5Reader {
    /// Most objects visited in one file.
    static let maximumObjects = 200_000
    /// Deepest group nesting followed.
    static let maximumDepth = 32
    /// Most attributes read on one object.
    static let maximumAttributes = 10_000
    /// Most elements read from one attribute.
    static let maximumAttributeElements = 1_000_000
    /// Most bytes read from one attribute.
    static let maximumAttributeBytes = 64 << 20
    /// Longest link or attribute name read.
    static let maximumNameLength = 65_536

    let path: String
    let fileSize: Int
    /// The time limit of metadata calls on this file (see `HDF5Library.metadataTimeLimit`).
    let timeLimit: UInt32
    /// How much more memory libhdf5 may take while it parses this file's structures: twice the file plus 256 MB.
    let memoryBudget: Int
    private let file: HDF5Handle
    private let linkAccess: HDF5Handle

    /// Opens the HDF5 file `path`, or, with `image`, the HDF5 file held in that memory (a stored member of an
    /// archive, mapped copy-on-write), used in place; `path` then names the archive in messages.
    init(path: String, fileSize: Int, image: UnsafeMutableRawBufferPointer? = nil) throws(HDF5Error) {
        self.path = path
        self.fileSize = fileSize
        try HDF5Library.requireLibrary(path: path)
        timeLimit = HDF5Library.metadataTimeLimit(fileSize: fileSize)
        memoryBudget = fileSize > (Int.max - (256 << 20)) / 2 ? Int.max : 2 * fileSize + (256 << 20)
        let opened: (HDF5Handle, HDF5Handle) = try HDF5Library.withLibrary(path: path, timeLimit: timeLimit, memoryBudget: memoryBudget) { () throws(HDF5Error) in
            let fapl = HDF5Handle(try HDF5Library.check(id: H5Pcreate(chdf5_fapl_class()), path: path), .propertyList)
            try HDF5Library.check(H5Pset_fclose_degree(fapl.id, H5F_CLOSE_STRONG), path: path)
            // The walk refuses soft and external links before any path lookup could traverse one.
            let lapl = HDF5Handle(try HDF5Library.check(id: H5Pcreate(chdf5_lapl_class()), path: path), .propertyList)
            let id: hid_t
            if let image {
                // Read only: libhdf5 never writes to the image, and a stray write would only touch a private page.
                id = try HDF5Library.check(id: H5LTopen_file_image(image.baseAddress, image.count, chdf5_image_in_place()), path: path)
            } else {
                id = try HDF5Library.check(id: H5Fopen(path, chdf5_acc_rdonly(), fapl.id), path: path)
            }
            return (HDF5Handle(id, .file), lapl)
        }
        file = opened.0
        linkAccess = opened.1
    }

    /// Every dataset and group reachable from the root through hard links, in name order.
    /// Soft and external links are refused: a checkpoint has no reason to hold them.
    func walk() throws(HDF5Error) -> (datasets: [HDF5Dataset], groups: Set<String>) {
        try HDF5Library.withLibrary(path: path, timeLimit: timeLimit, memoryBudget: memoryBudget) { () throws(HDF5Error) in
            var datasets: [HDF5Dataset] = []
            var groups: Set<String> = [""]
            var visited = Set<haddr_t>()
            var count = 0
            var stored = 0
            let root = HDF5Handle(try HDF5Library.check(id: H5Gopen2(file.id, "/", chdf5_default()), path: path), .group)
            try walkGroup(root, "", depth: 0, datasets: &datasets, groups: &groups, visited: &visited, count: &count)
            for dataset in datasets {
                stored += dataset.storedBytes
                guard stored <= fileSize else {
                    throw .malformed(path: path, reason: "its datasets claim \(stored) or more bytes of storage in all, more than the file's \(fileSize) bytes")
                }
            }
            return (datasets, groups)
        }
    }

    /// The names and types of the links in a group, in name order, visited once by `H5Literate`.
    private func links(of group: hid_t, groupPath: String) throws(HDF5Error) -> [(name: String, type: H5L_type_t)] {
        typealias Collected = NameCollector<(String, H5L_type_t)>
        let collected = Collected(limit: Self.maximumObjects)
        let visit: H5L_iterate_t = { _, name, info, context in
            guard let name, let info, let context else { return -1 }
            let type = info.pointee.type
            return Unmanaged<Collected>.fromOpaque(context).takeUnretainedValue().add(name) { ($0, type) }
        }
        var index: hsize_t = 0
        let result = H5Literate(group, H5_INDEX_NAME, H5_ITER_INC, &index, visit, Unmanaged.passUnretained(collected).toOpaque())
        if collected.tooLong { throw .malformed(path: path, reason: "a link name in '/\(groupPath)' is longer than \(Self.maximumNameLength) bytes") }
        if collected.tooMany { throw .malformed(path: path, reason: "group '/\(groupPath)' has more than \(Self.maximumObjects) members") }
        try HDF5Library.check(result, path: path)
        return collected.items
    }

    /// Walks the open `group` (whose path is `groupPath`); children are opened relative to it, not by their full
    /// path from the root, so each lookup is one step.
    private func walkGroup(
        _ group: HDF5Handle, _ groupPath: String, depth: Int, datasets: inout [HDF5Dataset], groups: inout Set<String>,
        visited: inout Set<haddr_t>, count: inout Int
    ) throws(HDF5Error) {
        guard depth < Self.maximumDepth else { throw .malformed(path: path, reason: "groups nest deeper than \(Self.maximumDepth) levels") }
        for (name, type) in try links(of: group.id, groupPath: groupPath) {
            count += 1
            guard count <= Self.maximumObjects else { throw .malformed(path: path, reason: "more than \(Self.maximumObjects) objects") }
            let childPath = groupPath.isEmpty ? name : groupPath + "/" + name
            switch type {
            case H5L_TYPE_HARD: break
            case H5L_TYPE_EXTERNAL: throw .unsafe(path: path, reason: "'/\(childPath)' is an external link to another file")
            case H5L_TYPE_SOFT: throw .unsafe(path: path, reason: "'/\(childPath)' is a soft link")
            default: throw .unsafe(path: path, reason: "'/\(childPath)' is a user-defined link")
            }
            var object = H5O_info_t()
            try HDF5Library.check(H5Oget_info_by_name2(group.id, name, &object, UInt32(H5O_INFO_BASIC), linkAccess.id), path: path)
            guard visited.insert(object.addr).inserted else { continue }
            switch object.type {
            case H5O_TYPE_GROUP:
                groups.insert(childPath)
                let child = HDF5Handle(try HDF5Library.check(id: H5Gopen2(group.id, name, chdf5_default()), path: path), .group)
                try walkGroup(child, childPath, depth: depth + 1, datasets: &datasets, groups: &groups, visited: &visited, count: &count)
            case H5O_TYPE_DATASET:
                datasets.append(try describeDataset(in: group, name: name, path: childPath))
            default:
                continue
            }
        }
    }

    /// Type, shape and storage of one dataset, refusing what cannot be read safely: external or virtual storage,
    /// filters, and data that is declared but not stored (unallocated or partly allocated chunks, an unwritten
    /// contiguous dataset), which would otherwise make a small file claim gigabytes.
    private func describeDataset(in group: HDF5Handle, name: String, path datasetPath: String) throws(HDF5Error) -> HDF5Dataset {
        let dataset = HDF5Handle(try HDF5Library.check(id: H5Dopen2(group.id, name, chdf5_default()), path: path), .dataset)
        let shape = try dataspaceShape(try HDF5Library.check(id: H5Dget_space(dataset.id), path: path), what: "/" + datasetPath)
        let type = HDF5Handle(try HDF5Library.check(id: H5Dget_type(dataset.id), path: path), .datatype)
        let (dtype, littleEndian) = try elementType(type.id, what: "/" + datasetPath)
        let plist = HDF5Handle(try HDF5Library.check(id: H5Dget_create_plist(dataset.id), path: path), .propertyList)
        let externals = try HDF5Library.check(count: H5Pget_external_count(plist.id), path: path)
        guard externals == 0 else { throw .unsafe(path: path, reason: "dataset '/\(datasetPath)' keeps its data in external files") }
        let layout = H5Pget_layout(plist.id)
        switch layout {
        case H5D_CONTIGUOUS, H5D_COMPACT: break
        case H5D_CHUNKED:
            let filters = try HDF5Library.check(count: H5Pget_nfilters(plist.id), path: path)
            guard filters == 0 else {
                throw .unsupported(path: path, reason: "dataset '/\(datasetPath)' is compressed or filtered; weights are expected uncompressed")
            }
        case H5D_VIRTUAL: throw .unsafe(path: path, reason: "dataset '/\(datasetPath)' is a virtual dataset")
        default: throw .malformed(path: path, reason: "dataset '/\(datasetPath)' has an unknown storage layout")
        }
        guard let byteCount = checkedByteCount(shape: shape, elementSize: dtype.size) else {
            throw .malformed(path: path, reason: "dataset '/\(datasetPath)' has a shape whose size overflows")
        }
        // Unfiltered storage holds every declared byte: exactly (contiguous, compact) or in whole chunks (chunked).
        let storage = Int(clamping: H5Dget_storage_size(dataset.id))
        guard storage >= byteCount, byteCount <= fileSize else {
            throw .malformed(path: path, reason: "dataset '/\(datasetPath)' declares \(byteCount) bytes but the file stores only \(storage) of them (unallocated or partly written data)")
        }
        guard storage <= fileSize else {
            throw .malformed(path: path, reason: "dataset '/\(datasetPath)' claims \(storage) bytes of storage, more than the file holds")
        }
        var offset: Int?
        if layout == H5D_CONTIGUOUS, littleEndian, byteCount > 0 {
            let address = H5Dget_offset(dataset.id)
            if address != chdf5_haddr_undef() {
                guard address <= UInt(fileSize), UInt(byteCount) <= UInt(fileSize) - address else {
                    throw .malformed(path: path, reason: "dataset '/\(datasetPath)' lies beyond the end of the file")
                }
                offset = Int(address)
            }
        }
        return HDF5Dataset(path: datasetPath, dtype: dtype, shape: shape, fileOffset: offset, storedBytes: storage)
    }

    private func dataspaceShape(_ spaceID: hid_t, what: String) throws(HDF5Error) -> [Int] {
        let space = HDF5Handle(spaceID, .dataspace)
        let rank = try HDF5Library.check(count: H5Sget_simple_extent_ndims(space.id), path: path)
        guard rank <= 8 else { throw .unsupported(path: path, reason: "'\(what)' has \(rank) dimensions") }
        var dims = [hsize_t](repeating: 0, count: max(rank, 1))
        if rank > 0 {
            _ = try HDF5Library.check(count: H5Sget_simple_extent_dims(space.id, &dims, nil), path: path)
        }
        var shape: [Int] = []
        for d in dims.prefix(rank) {
            guard d <= UInt64(Int32.max) else { throw .malformed(path: path, reason: "'\(what)' has a dimension of \(d)") }
            shape.append(Int(d))
        }
        return shape
    }

    /// The IEEE layouts bertinspect reads: (dtype, size, sign position, exponent position, exponent size, mantissa
    /// size, exponent bias); the mantissa always starts at bit 0.
    static let floatLayouts: [(DType, Int, Int, Int, Int, Int, Int)] = [
        (.f64, 8, 63, 52, 11, 52, 1023), (.f32, 4, 31, 23, 8, 23, 127), (.f16, 2, 15, 10, 5, 10, 15), (.bf16, 2, 15, 7, 8, 7, 127),
    ]

    /// The tensor element type of an HDF5 datatype, and whether it is little-endian. Floats must be exactly IEEE
    /// binary16/32/64 or bfloat16 (bit fields, exponent bias, implied normalisation, zero padding, byte order little
    /// or big endian); integers plain 8- to 64-bit two's complement or unsigned. Everything else is refused.
    private func elementType(_ type: hid_t, what: String) throws(HDF5Error) -> (DType, Bool) {
        // Nearly every weight is float32 little-endian: one comparison with the predefined type decides it, which is
        // what the field-by-field checks below conclude for it (a big-endian float32 is not equal and takes them).
        if H5Tequal(type, chdf5_ieee_f32le()) > 0 { return (.f32, true) }
        let size = H5Tget_size(type)
        let typeClass = H5Tget_class(type)
        guard typeClass == H5T_FLOAT || typeClass == H5T_INTEGER else {
            throw .unsupported(path: path, reason: "'\(what)' is not a numeric dataset")
        }
        let order = H5Tget_order(type)
        guard size == 1 || order == H5T_ORDER_LE || order == H5T_ORDER_BE else {
            throw .unsupported(path: path, reason: "'\(what)' has a byte order that is neither little nor big endian")
        }
        let littleEndian = size == 1 || order == H5T_ORDER_LE
        let precision = H5Tget_precision(type)
        let bitOffset = H5Tget_offset(type)
        switch typeClass {
        case H5T_FLOAT:
            var spos = 0, epos = 0, esize = 0, mpos = 0, msize = 0
            try HDF5Library.check(H5Tget_fields(type, &spos, &epos, &esize, &mpos, &msize), path: path)
            let bias = H5Tget_ebias(type)
            var lsb = H5T_PAD_ZERO, msb = H5T_PAD_ZERO
            try HDF5Library.check(H5Tget_pad(type, &lsb, &msb), path: path)
            let plain = H5Tget_norm(type) == H5T_NORM_IMPLIED && lsb == H5T_PAD_ZERO && msb == H5T_PAD_ZERO
                && precision == size * 8 && bitOffset == 0 && mpos == 0
            if plain, let layout = Self.floatLayouts.first(where: {
                $0.1 == size && $0.2 == spos && $0.3 == epos && $0.4 == esize && $0.5 == msize && $0.6 == bias
            }) {
                return (layout.0, littleEndian)
            }
            throw .unsupported(path: path, reason: "'\(what)' has a floating-point type that is not an IEEE binary16/32/64 or bfloat16 layout (\(size) bytes: sign bit \(spos), exponent bits \(epos)+\(esize) bias \(bias), mantissa bits \(mpos)+\(msize))")
        case H5T_INTEGER:
            guard precision == size * 8, bitOffset == 0 else {
                throw .unsupported(path: path, reason: "'\(what)' has an integer type that is not a plain \(size * 8)-bit integer (precision \(precision), offset \(bitOffset))")
            }
            let signed = H5Tget_sign(type) == H5T_SGN_2
            switch (size, signed) {
            case (8, true): return (.i64, littleEndian)
            case (4, true): return (.i32, littleEndian)
            case (2, true): return (.i16, littleEndian)
            case (1, true): return (.i8, true)
            case (8, false): return (.u64, littleEndian)
            case (4, false): return (.u32, littleEndian)
            case (2, false): return (.u16, littleEndian)
            case (1, false): return (.u8, true)
            default: throw .unsupported(path: path, reason: "'\(what)' has a \(size)-byte integer type")
            }
        default:
            throw .unsupported(path: path, reason: "'\(what)' is not a numeric dataset")
        }
    }

    /// Reads a whole dataset as little-endian bytes into `buffer` (exactly the dataset's size).
    func read(_ dataset: HDF5Dataset, into buffer: UnsafeMutableRawBufferPointer) throws(HDF5Error) {
        try HDF5Library.withLibrary(path: path, timeLimit: 0) { () throws(HDF5Error) in
            let handle = HDF5Handle(try HDF5Library.check(id: H5Dopen2(file.id, "/" + dataset.path, chdf5_default()), path: path), .dataset)
            let fileType = HDF5Handle(try HDF5Library.check(id: H5Dget_type(handle.id), path: path), .datatype)
            let memoryType = HDF5Handle(try HDF5Library.check(id: H5Tcopy(fileType.id), path: path), .datatype)
            if dataset.dtype.size > 1 {
                try HDF5Library.check(H5Tset_order(memoryType.id, H5T_ORDER_LE), path: path)
            }
            guard buffer.count > 0 else { return }
            try HDF5Library.check(H5Dread(handle.id, memoryType.id, chdf5_space_all(), chdf5_space_all(), chdf5_default(), buffer.baseAddress), path: path)
        }
    }

    /// The attributes of the object at `objectPath` (no leading slash; "" is the root) that hold strings or numbers.
    /// Names are collected in one `H5Aiterate2` pass; with `only`, just those attributes are read.
    func attributes(of objectPath: String, only: Set<String>? = nil) throws(HDF5Error) -> [String: HDF5AttributeValue] {
        try HDF5Library.withLibrary(path: path, timeLimit: timeLimit, memoryBudget: memoryBudget) { () throws(HDF5Error) in
            let location = "/" + objectPath
            let object = HDF5Handle(try HDF5Library.check(id: H5Oopen(file.id, location, linkAccess.id), path: path), .object)
            var result: [String: HDF5AttributeValue] = [:]
            for name in try attributeNames(object.id, location: location) where only?.contains(name) ?? true {
                let attribute = HDF5Handle(try HDF5Library.check(id: H5Aopen(object.id, name, chdf5_default()), path: path), .attribute)
                result[name] = try readAttribute(attribute.id, name: name, on: location)
            }
            return result
        }
    }

    /// The names of an object's attributes, visited once.
    private func attributeNames(_ object: hid_t, location: String) throws(HDF5Error) -> [String] {
        typealias Collected = NameCollector<String>
        let collected = Collected(limit: Self.maximumAttributes)
        let visit: H5A_operator2_t = { _, name, _, context in
            guard let name, let context else { return -1 }
            return Unmanaged<Collected>.fromOpaque(context).takeUnretainedValue().add(name) { $0 }
        }
        var index: hsize_t = 0
        let result = H5Aiterate2(object, H5_INDEX_NAME, H5_ITER_NATIVE, &index, visit, Unmanaged.passUnretained(collected).toOpaque())
        if collected.tooLong { throw .malformed(path: path, reason: "an attribute name on '\(location)' is longer than \(Self.maximumNameLength) bytes") }
        if collected.tooMany { throw .malformed(path: path, reason: "'\(location)' has more than \(Self.maximumAttributes) attributes") }
        try HDF5Library.check(result, path: path)
        return collected.items
    }

    private func readAttribute(_ attribute: hid_t, name: String, on location: String) throws(HDF5Error) -> HDF5AttributeValue {
        let what = "attribute '\(name)' of '\(location)'"
        let space = HDF5Handle(try HDF5Library.check(id: H5Aget_space(attribute), path: path), .dataspace)
        let points = H5Sget_simple_extent_npoints(space.id)
        guard points >= 0, points <= Int64(Self.maximumAttributeElements) else {
            throw .malformed(path: path, reason: "\(what) claims \(points) elements")
        }
        let count = Int(points)
        let type = HDF5Handle(try HDF5Library.check(id: H5Aget_type(attribute), path: path), .datatype)
        switch H5Tget_class(type.id) {
        case H5T_STRING:
            if count == 0 { return .strings([]) }
            let memoryType = HDF5Handle(try HDF5Library.check(id: H5Tcopy(chdf5_c_s1()), path: path), .datatype)
            try HDF5Library.check(H5Tset_cset(memoryType.id, H5Tget_cset(type.id)), path: path)
            if H5Tis_variable_str(type.id) > 0 {
                try HDF5Library.check(H5Tset_size(memoryType.id, chdf5_variable()), path: path)
                var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
                try HDF5Library.check(H5Aread(attribute, memoryType.id, &pointers), path: path)
                var strings: [String] = []
                var total = 0
                for pointer in pointers {
                    guard let pointer else { strings.append(""); continue }
                    let length = strnlen(pointer, Self.maximumAttributeBytes)
                    total += length
                    guard total < Self.maximumAttributeBytes else { break }
                    strings.append(String(decoding: UnsafeRawBufferPointer(start: pointer, count: length), as: UTF8.self))
                }
                _ = H5Dvlen_reclaim(memoryType.id, space.id, chdf5_default(), &pointers)
                guard total < Self.maximumAttributeBytes else { throw .malformed(path: path, reason: "\(what) is larger than 64 MiB") }
                return .strings(strings)
            }
            // Fixed-length strings are read with their own size and padding: a NULLPAD string as long as its type
            // (how h5py stores numpy byte arrays) has no terminating NUL, and a NULLTERM memory type would drop its
            // last character.
            let size = H5Tget_size(type.id)
            guard size > 0, size <= Self.maximumAttributeBytes, size * count <= Self.maximumAttributeBytes else {
                throw .malformed(path: path, reason: "\(what) is larger than 64 MiB")
            }
            let padding = H5Tget_strpad(type.id)
            try HDF5Library.check(H5Tset_size(memoryType.id, size), path: path)
            try HDF5Library.check(H5Tset_strpad(memoryType.id, padding == H5T_STR_SPACEPAD ? H5T_STR_SPACEPAD : H5T_STR_NULLPAD), path: path)
            var bytes = [UInt8](repeating: 0, count: size * count)
            try HDF5Library.check(H5Aread(attribute, memoryType.id, &bytes), path: path)
            return .strings((0..<count).map { i in
                var slice = bytes[(i * size)..<((i + 1) * size)]
                if let end = slice.firstIndex(of: 0) { slice = slice[..<end] }
                if padding == H5T_STR_SPACEPAD {
                    while slice.last == UInt8(ascii: " ") { slice = slice.dropLast() }
                }
                return String(decoding: slice, as: UTF8.self)
            })
        case H5T_FLOAT, H5T_INTEGER:
            var values = [Double](repeating: 0, count: count)
            if count > 0 {
                try HDF5Library.check(H5Aread(attribute, chdf5_native_double(), &values), path: path)
            }
            return .numbers(values)
        default:
            return .unreadable
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// What a libhdf5 iteration callback gathers: an item per name, names and items bounded.
private final class NameCollector<Item> {
    let limit: Int
    var items: [Item] = []
    var tooLong = false
    var tooMany = false

    init(limit: Int) { self.limit = limit }

    /// Adds the item made from `name`; answers the callback's return value (0 to go on, 1 to stop early).
    func add(_ name: UnsafePointer<CChar>, _ item: (String) -> Item) -> herr_t {
        let length = strnlen(name, HDF5Reader.maximumNameLength + 1)
        guard length <= HDF5Reader.maximumNameLength else { tooLong = true; return 1 }
        guard items.count < limit else { tooMany = true; return 1 }
        items.append(item(String(decoding: UnsafeRawBufferPointer(start: name, count: length), as: UTF8.self)))
        return 0
    }
}
