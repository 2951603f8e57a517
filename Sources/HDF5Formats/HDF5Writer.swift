import CHDF5
import TensorFormats

/// Writes Keras-2 style HDF5 checkpoints (HF `tf_model.h5`, `save_weights`, the weights of `model.save`):
/// `layer_names` on the weights group, `weight_names` on each layer group, contiguous little-endian datasets,
/// strings as variable-length UTF-8, as h5py writes them for Keras.
public struct HDF5Writer: CheckpointWriter {
    /// Called after each tensor is written.
    public var progress: (@Sendable () -> Void)?

    public init(progress: (@Sendable () -> Void)? = nil) {
        self.progress = progress
    }

    public func write(_ plan: WritePlan, from store: any TensorStore, to file: AtomicFile) throws -> Int {
        file.closeForExternalWriter()
        let path = file.temporaryPath
        return try HDF5Library.withLibrary(path: path, timeLimit: 0) { () throws -> Int in
            let handle = HDF5Handle(try HDF5Library.check(id: H5Fcreate(path, chdf5_acc_trunc(), chdf5_default(), chdf5_default()), "H5Fcreate", path: path), .file)
            let lcpl = HDF5Handle(try HDF5Library.check(id: H5Pcreate(chdf5_lcpl_class()), "H5Pcreate", path: path), .propertyList)
            try HDF5Library.check(H5Pset_create_intermediate_group(lcpl.id, 1), "H5Pset_create_intermediate_group", path: path)
            let base = plan.weightsGroup.map { $0 + "/" } ?? ""
            var rootMetadata = plan.metadata
            if let weightsGroup = plan.weightsGroup {
                let group = HDF5Handle(try HDF5Library.check(id: H5Gcreate2(handle.id, weightsGroup, lcpl.id, chdf5_default(), chdf5_default()), "H5Gcreate2", path: path), .group)
                try writeStrings(group.id, "layer_names", plan.groups.map(\.name), path: path)
                for key in ["backend", "keras_version"] {
                    if let value = plan.metadata[key] { try Self.writeString(group.id, key, value, path: path) }
                }
            } else {
                try writeStrings(handle.id, "layer_names", plan.groups.map(\.name), path: path)
            }
            for group in plan.groups {
                let id = HDF5Handle(try HDF5Library.check(id: H5Gcreate2(handle.id, base + group.name, lcpl.id, chdf5_default(), chdf5_default()), "H5Gcreate2", path: path), .group)
                if group.tensorNames.isEmpty {
                    try writeEmptyNumbers(id.id, "weight_names", path: path)
                } else {
                    try writeStrings(id.id, "weight_names", group.tensorNames, path: path)
                }
            }
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(plan.largestEntry, 1), alignment: 64)
            defer { buffer.deallocate() }
            var overflows = 0
            for entry in plan.entries {
                if entry.isVerbatim {
                    try store.withBytes(of: entry.source) { bytes in
                        try writeDataset(handle.id, base + entry.name, entry, data: bytes, lcpl: lcpl.id, path: path)
                    }
                    store.discardPages(of: entry.source)
                    progress?()
                    continue
                }
                overflows += try entry.render(from: store, into: buffer)
                try writeDataset(handle.id, base + entry.name, entry, data: UnsafeRawBufferPointer(buffer), lcpl: lcpl.id, path: path)
                progress?()
            }
            if plan.weightsGroup != nil { rootMetadata["layer_names"] = nil }
            for key in rootMetadata.keys.sorted() {
                try Self.writeString(handle.id, key, rootMetadata[key]!, path: path)
            }
            return overflows
        }
    }

    /// Replaces (or adds) string attributes on the root of an existing file, leaving everything else as it is.
    public static func setRootAttributes(path: String, _ attributes: [String: String]) throws {
        try HDF5Library.withLibrary(path: path, timeLimit: 0) { () throws in
            let handle = HDF5Handle(try HDF5Library.check(id: H5Fopen(path, chdf5_acc_rdwr(), chdf5_default()), "H5Fopen", path: path), .file)
            for key in attributes.keys.sorted() {
                try writeString(handle.id, key, attributes[key]!, path: path)
            }
        }
    }

    /// The HDF5 file type for an element type (IEEE layouts; f16 and bf16 as custom floats, as h5py does).
    static func fileType(_ dtype: DType, path: String) throws -> HDF5Handle {
        func float(size: Int, spos: Int, epos: Int, esize: Int, msize: Int, bias: Int) throws -> HDF5Handle {
            let type = HDF5Handle(try HDF5Library.check(id: H5Tcopy(chdf5_ieee_f32le()), "H5Tcopy", path: path), .datatype)
            try HDF5Library.check(H5Tset_fields(type.id, spos, epos, esize, 0, msize), "H5Tset_fields", path: path)
            try HDF5Library.check(H5Tset_size(type.id, size), "H5Tset_size", path: path)
            try HDF5Library.check(H5Tset_ebias(type.id, bias), "H5Tset_ebias", path: path)
            return type
        }
        switch dtype {
        case .f32: return HDF5Handle(try HDF5Library.check(id: H5Tcopy(chdf5_ieee_f32le()), "H5Tcopy", path: path), .datatype)
        case .f64: return HDF5Handle(try HDF5Library.check(id: H5Tcopy(chdf5_ieee_f64le()), "H5Tcopy", path: path), .datatype)
        case .f16: return try float(size: 2, spos: 15, epos: 10, esize: 5, msize: 10, bias: 15)
        case .bf16: return try float(size: 2, spos: 15, epos: 7, esize: 8, msize: 7, bias: 127)
        default: throw HDF5Error.unsupported(path: path, reason: "writing \(dtype.rawValue) tensors to HDF5")
        }
    }

    private func writeDataset(_ file: hid_t, _ name: String, _ entry: WritePlan.Entry, data: UnsafeRawBufferPointer, lcpl: hid_t, path: String) throws {
        let type = try Self.fileType(entry.dtype, path: path)
        var dims = entry.shape.map { hsize_t($0) }
        let space = HDF5Handle(try HDF5Library.check(id: entry.shape.isEmpty ? H5Screate(H5S_SCALAR) : H5Screate_simple(Int32(dims.count), &dims, nil), "H5Screate_simple", path: path), .dataspace)
        let dataset = HDF5Handle(try HDF5Library.check(id: H5Dcreate2(file, name, type.id, space.id, lcpl, chdf5_default(), chdf5_default()), "H5Dcreate2", path: path), .dataset)
        if entry.byteCount > 0 {
            try HDF5Library.check(H5Dwrite(dataset.id, type.id, chdf5_space_all(), chdf5_space_all(), chdf5_default(), data.baseAddress), "H5Dwrite", path: path)
        }
    }

    private static func stringType(path: String) throws -> HDF5Handle {
        let type = HDF5Handle(try HDF5Library.check(id: H5Tcopy(chdf5_c_s1()), "H5Tcopy", path: path), .datatype)
        try HDF5Library.check(H5Tset_size(type.id, chdf5_variable()), "H5Tset_size", path: path)
        try HDF5Library.check(H5Tset_cset(type.id, H5T_CSET_UTF8), "H5Tset_cset", path: path)
        return type
    }

    private static func replace(_ object: hid_t, _ name: String, path: String) throws {
        if H5Aexists(object, name) > 0 { try HDF5Library.check(H5Adelete(object, name), "H5Adelete", path: path) }
    }

    /// A scalar variable-length string attribute.
    static func writeString(_ object: hid_t, _ name: String, _ value: String, path: String) throws {
        try replace(object, name, path: path)
        let type = try stringType(path: path)
        let space = HDF5Handle(try HDF5Library.check(id: H5Screate(H5S_SCALAR), "H5Screate", path: path), .dataspace)
        let attribute = HDF5Handle(try HDF5Library.check(id: H5Acreate2(object, name, type.id, space.id, chdf5_default(), chdf5_default()), "H5Acreate2", path: path), .attribute)
        try value.withCString { pointer in
            var pointers: [UnsafePointer<CChar>?] = [pointer]
            try HDF5Library.check(H5Awrite(attribute.id, type.id, &pointers), "H5Awrite", path: path)
        }
    }

    /// A one-dimensional array of variable-length strings, as Keras writes `layer_names` and `weight_names`.
    private func writeStrings(_ object: hid_t, _ name: String, _ values: [String], path: String) throws {
        if values.isEmpty { return try writeEmptyNumbers(object, name, path: path) }
        let type = try Self.stringType(path: path)
        var dims = [hsize_t(values.count)]
        let space = HDF5Handle(try HDF5Library.check(id: H5Screate_simple(1, &dims, nil), "H5Screate_simple", path: path), .dataspace)
        let attribute = HDF5Handle(try HDF5Library.check(id: H5Acreate2(object, name, type.id, space.id, chdf5_default(), chdf5_default()), "H5Acreate2", path: path), .attribute)
        let copies = values.map { strdup($0) }
        defer { copies.forEach { free($0) } }
        var pointers = copies.map { UnsafePointer($0) }
        try HDF5Library.check(H5Awrite(attribute.id, type.id, &pointers), "H5Awrite", path: path)
    }

    /// An empty float64 array, which is how Keras stores an empty `weight_names` list.
    private func writeEmptyNumbers(_ object: hid_t, _ name: String, path: String) throws {
        var dims = [hsize_t(0)]
        let space = HDF5Handle(try HDF5Library.check(id: H5Screate_simple(1, &dims, nil), "H5Screate_simple", path: path), .dataspace)
        let attribute = HDF5Handle(try HDF5Library.check(id: H5Acreate2(object, name, chdf5_ieee_f64le(), space.id, chdf5_default(), chdf5_default()), "H5Acreate2", path: path), .attribute)
        _ = attribute
    }
}

#if canImport(Glibc)
import Glibc
#endif
