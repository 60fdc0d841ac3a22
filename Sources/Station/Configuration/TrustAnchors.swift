import ChipID
import Foundation

/// A trust-anchor file or folder named by the configuration that cannot be used.
struct TrustAnchorProblem: Error {
    /// The configuration key (`trust.folder` or `trust.masterlist`).
    let key: String
    /// What is wrong (no personal data: certificates are institutional).
    let reason: String
}

extension StationConfiguration {
    /// Loads the CSCA trust anchors the configuration names: every certificate, CRL and master list of
    /// `trust.folder`, then the `trust.masterlist` file (its CMS signature verified first; on any failure nothing is
    /// loaded from it). The default folder (`/etc/stationd/trust`) may be absent: a station without the authority's
    /// CSCA works and says so. Any other folder configured must exist (a typo must not silently disable the chain).
    func loadTrustAnchors(defaultFolder: Bool) throws(TrustAnchorProblem) -> CSCATrustList {
        var list = CSCATrustList()
        if let folder = trustFolder {
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory)
            if exists && !isDirectory.boolValue {
                throw TrustAnchorProblem(key: "trust.folder", reason: "\(folder) is not a folder")
            }
            if !exists && !defaultFolder {
                throw TrustAnchorProblem(key: "trust.folder", reason: "the folder \(folder) does not exist")
            }
            if exists {
                do { list = try CSCATrustList.load(folder: URL(fileURLWithPath: folder)) } catch {
                    throw TrustAnchorProblem(
                        key: "trust.folder",
                        reason: "cannot load the trust folder: \(error.reason) [\(error.code.rawValue)]")
                }
            }
        }
        if let masterList = trustMasterList {
            do { try list.addMasterList(file: URL(fileURLWithPath: masterList)) } catch {
                throw TrustAnchorProblem(
                    key: "trust.masterlist",
                    reason: "master list \(masterList) refused: \(error.reason) [\(error.code.rawValue)]")
            }
        }
        list.validityModel = signerValidity
        return list
    }
}
