#if canImport(Glibc)
import Glibc
#endif
import CHDF5
import TensorFormats

/// Writes Keras-2 style HDF5 checkpoints (HF `tf_model.h5`, `save_weights`, the weights of `model.save`):
/// `layer_names` on the weights group, `weight_names` on each layer group, contiguous little-endian datasets,
/// strings as variable-length UTF-8, as h5py writes them for Keras.
///
/// The file is flushed and closed, and both results checked, before `AtomicFile.commit` may publish it: a failure
/// (a full disk) throws `OutputError` naming the output, and the temporary file is removed, never renamed.
public struct HDF5Writer: CheckpointWriter {
    /// Called after each tensor is written.
    public var progress: (() -> Void)?

    public init(progress: (() -> Void)? = nil) {
        self.progress = progress
    }

    public func write(_ plan: WritePlan, from store: any TensorStore, to file: AtomicFile) throws -> Int {
        try HDF5Library.requireLibrary(path: file.destination)
        try file.closeForExternalWriter()
        let output = HDF5Output(file: file)
        return try HDF5Library.withLibrary(path: file.destination, timeLimit: 0, writing: true) { () throws -> Int in
            let handle = try output.create()
            let overflows: Int
            do {
                overflows = try write(plan, from: store, into: handle, output: output)
            } catch {
                output.abandon(handle)
                throw error
            }
            try output.close(handle)
            return overflows
        }
    }

    private func write(_ plan: WritePlan, from store: any TensorStore, into handle: hid_t, output: HDF5Output) throws -> Int {
        let lcpl = HDF5Handle(try output.check(id: H5Pcreate(chdf5_lcpl_class())), .propertyList)
        try output.check(H5Pset_create_intermediate_group(lcpl.id, 1))
        let base = plan.weightsGroup.map { $0 + "/" } ?? ""
        var rootMetadata = plan.metadata
        if let keras3Groups = plan.keras3Groups {
            for group in keras3Groups {
                let id = HDF5Handle(try output.check(id: H5Gcreate2(handle, group.path, lcpl.id, chdf5_default(), chdf5_default())), .group)
                if let name = group.name { try output.writeString(id.id, "name", name) }
            }
        } else if let weightsGroup = plan.weightsGroup {
            let group = HDF5Handle(try output.check(id: H5Gcreate2(handle, weightsGroup, lcpl.id, chdf5_default(), chdf5_default())), .group)
            try output.writeStrings(group.id, "layer_names", plan.groups.map(\.name))
            for key in ["backend", "keras_version"] {
                if let value = plan.metadata[key] { try output.writeString(group.id, key, value) }
            }
        } else {
            try output.writeStrings(handle, "layer_names", plan.groups.map(\.name))
        }
        if plan.keras3Groups != nil { rootMetadata["layer_names"] = nil }
        for group in plan.groups where plan.keras3Groups == nil {
            let id = HDF5Handle(try output.check(id: H5Gcreate2(handle, base + group.name, lcpl.id, chdf5_default(), chdf5_default())), .group)
            if group.tensorNames.isEmpty {
                try output.writeEmptyNumbers(id.id, "weight_names")
            } else {
                try output.writeStrings(id.id, "weight_names", group.tensorNames)
            }
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(plan.largestEntry, 1), alignment: 64)
        defer { buffer.deallocate() }
        var overflows = 0
        for entry in plan.entries {
            if entry.isVerbatim {
                try store.withBytes(of: entry.source) { bytes in
                    try output.writeDataset(handle, base + entry.name, entry, data: bytes, lcpl: lcpl.id)
                }
                store.discardPages(of: entry.source)
                progress?()
                continue
            }
            overflows += try entry.render(from: store, into: buffer)
            try output.writeDataset(handle, base + entry.name, entry, data: UnsafeRawBufferPointer(buffer), lcpl: lcpl.id)
            progress?()
        }
        if plan.weightsGroup != nil { rootMetadata["layer_names"] = nil }
        for key in rootMetadata.keys.sorted() {
            try output.writeString(handle, key, rootMetadata[key]!)
        }
        return overflows
    }

    /// Copies the HDF5 file at `source` to `file` and replaces (or adds) string attributes on its root, leaving
    /// everything else as it is; the copy is closed and checked before `file` may be committed.
    public static func copy(_ source: MappedFile, to file: AtomicFile, settingRootAttributes attributes: [String: String]) throws {
        try source.withBytes { try file.write($0) }
        try file.closeForExternalWriter()
        let output = HDF5Output(file: file)
        try HDF5Library.withLibrary(path: file.destination, timeLimit: 0, writing: true) { () throws in
            let handle = try output.open()
            do {
                for key in attributes.keys.sorted() {
                    try output.writeString(handle, key, attributes[key]!)
                }
            } catch {
                output.abandon(handle)
                throw error
            }
            try output.close(handle)
        }
    }
}

/// The output side of libhdf5: every call on the file being written is checked here, and a failure becomes an
/// `OutputError` naming the destination (not the temporary file), with "no space left on device" when the disk is
/// full. Only `HDF5Writer` uses it, inside `HDF5Library.withLibrary`.
struct HDF5Output {
    let file: AtomicFile

    /// The failure of the call that just failed: a full disk or file size limit is named as such; anything else
    /// carries HDF5's text and the failing call's name.
    func failure() -> OutputError {
        let code = errno
        let error = HDF5Library.failure(path: file.destination)
        let message = error.description
        var function = "libhdf5"
        if case let .call(_, name, _) = error { function = name }
        if code == ENOSPC || code == EDQUOT || message.contains("No space left on device") || message.contains("errno = 28") {
            return .noSpace(path: file.destination, reason: "no space left on device (HDF5 call \(function))")
        }
        if code == EFBIG || message.contains("File too large") || message.contains("errno = 27") {
            return .noSpace(path: file.destination, reason: "the file size limit was reached (HDF5 call \(function))")
        }
        return .cannotWrite(path: file.destination, reason: message.hasSuffix(".") ? String(message.dropLast()) : message)
    }

    func check(_ result: herr_t) throws(OutputError) {
        if result < 0 { throw failure() }
    }

    func check(id: hid_t) throws(OutputError) -> hid_t {
        if id < 0 { throw failure() }
        return id
    }

    /// File access with strong close semantics: closing the file closes every object in it, so the close result
    /// covers the whole file.
    private func accessList() throws(OutputError) -> HDF5Handle {
        let fapl = HDF5Handle(try check(id: H5Pcreate(chdf5_fapl_class())), .propertyList)
        try check(H5Pset_fclose_degree(fapl.id, H5F_CLOSE_STRONG))
        return fapl
    }

    func create() throws(OutputError) -> hid_t {
        let fapl = try accessList()
        return try check(id: H5Fcreate(file.temporaryPath, chdf5_acc_trunc(), chdf5_default(), fapl.id))
    }

    func open() throws(OutputError) -> hid_t {
        let fapl = try accessList()
        return try check(id: H5Fopen(file.temporaryPath, chdf5_acc_rdwr(), fapl.id))
    }

    /// Flushes and closes the file, checking both; the handle is closed exactly once whatever happens (closing a
    /// file again after a failed close crashes libhdf5).
    func close(_ handle: hid_t) throws(OutputError) {
        let flushed = H5Fflush(handle, H5F_SCOPE_GLOBAL)
        if flushed < 0 {
            let error = failure()
            abandon(handle)
            throw error
        }
        try check(H5Fclose(handle))
    }

    /// Closes a file whose writing failed, ignoring further errors; the temporary file is removed by `AtomicFile`.
    func abandon(_ handle: hid_t) {
        _ = H5Fclose(handle)
        let stack = H5Eget_current_stack()
        if stack >= 0 { _ = H5Eclose_stack(stack) }
    }

    /// The HDF5 file type for an element type (IEEE layouts; f16 and bf16 as custom floats, as h5py does).
    func fileType(_ dtype: DType) throws -> HDF5Handle {
        func float(size: Int, spos: Int, epos: Int, esize: Int, msize: Int, bias: Int) throws(OutputError) -> HDF5Handle {
            let type = HDF5Handle(try check(id: H5Tcopy(chdf5_ieee_f32le())), .datatype)
            try check(H5Tset_fields(type.id, spos, epos, esize, 0, msize))
            try check(H5Tset_size(type.id, size))
            try check(H5Tset_ebias(type.id, bias))
            return type
        }
        switch dtype {
        case .f32: return HDF5Handle(try check(id: H5Tcopy(chdf5_ieee_f32le())), .datatype)
        case .f64: return HDF5Handle(try check(id: H5Tcopy(chdf5_ieee_f64le())), .datatype)
        case .f16: return try float(size: 2, spos: 15, epos: 10, esize: 5, msize: 10, bias: 15)
        case .bf16: return try float(size: 2, spos: 15, epos: 7, esize: 8, msize: 7, bias: 127)
        default: throw HDF5Error.unsupported(path: file.destination, reason: "writing \(dtype.rawValue) tensors to HDF5")
        }
    }

    func writeDataset(_ handle: hid_t, _ name: String, _ entry: WritePlan.Entry, data: UnsafeRawBufferPointer, lcpl: hid_t) throws {
        let type = try fileType(entry.dtype)
        var dims = entry.shape.map { hsize_t($0) }
        let space = entry.shape.isEmpty
            ? HDF5Handle(try check(id: H5Screate(H5S_SCALAR)), .dataspace)
            : HDF5Handle(try check(id: H5Screate_simple(Int32(dims.count), &dims, nil)), .dataspace)
        let dataset = HDF5Handle(try check(id: H5Dcreate2(handle, name, type.id, space.id, lcpl, chdf5_default(), chdf5_default())), .dataset)
        if entry.byteCount > 0 {
            try check(H5Dwrite(dataset.id, type.id, chdf5_space_all(), chdf5_space_all(), chdf5_default(), data.baseAddress))
        }
    }

    private func stringType() throws(OutputError) -> HDF5Handle {
        let type = HDF5Handle(try check(id: H5Tcopy(chdf5_c_s1())), .datatype)
        try check(H5Tset_size(type.id, chdf5_variable()))
        try check(H5Tset_cset(type.id, H5T_CSET_UTF8))
        return type
    }

    private func replace(_ object: hid_t, _ name: String) throws(OutputError) {
        if H5Aexists(object, name) > 0 { try check(H5Adelete(object, name)) }
    }

    /// A scalar variable-length string attribute.
    func writeString(_ object: hid_t, _ name: String, _ value: String) throws(OutputError) {
        try replace(object, name)
        let type = try stringType()
        let space = HDF5Handle(try check(id: H5Screate(H5S_SCALAR)), .dataspace)
        let attribute = HDF5Handle(try check(id: H5Acreate2(object, name, type.id, space.id, chdf5_default(), chdf5_default())), .attribute)
        let copy = strdup(value)
        defer { free(copy) }
        var pointers: [UnsafePointer<CChar>?] = [UnsafePointer(copy)]
        try check(H5Awrite(attribute.id, type.id, &pointers))
    }

    /// A one-dimensional array of variable-length strings, as Keras writes `layer_names` and `weight_names`.
    func writeStrings(_ object: hid_t, _ name: String, _ values: [String]) throws(OutputError) {
        if values.isEmpty { return try writeEmptyNumbers(object, name) }
        let type = try stringType()
        var dims = [hsize_t(values.count)]
        let space = HDF5Handle(try check(id: H5Screate_simple(1, &dims, nil)), .dataspace)
        let attribute = HDF5Handle(try check(id: H5Acreate2(object, name, type.id, space.id, chdf5_default(), chdf5_default())), .attribute)
        let copies = values.map { strdup($0) }
        defer { copies.forEach { free($0) } }
        var pointers = copies.map { UnsafePointer($0) }
        try check(H5Awrite(attribute.id, type.id, &pointers))
    }

    /// An empty float64 array, which is how Keras stores an empty `weight_names` list.
    func writeEmptyNumbers(_ object: hid_t, _ name: String) throws(OutputError) {
        var dims = [hsize_t(0)]
        let space = HDF5Handle(try check(id: H5Screate_simple(1, &dims, nil)), .dataspace)
        let attribute = HDF5Handle(try check(id: H5Acreate2(object, name, chdf5_ieee_f64le(), space.id, chdf5_default(), chdf5_default())), .attribute)
        _ = attribute
    }
}
