import ChipID
import Foundation
import SmartCard

/// Simulated chips ready to plug into vpcd: a CCCD built from a data set, or an eMRTD from a folder of raw LDS files.
public enum SimulatedCCCD {
    /// A CCCD from a `CitizenDataSet` JSON file, its EF.SOD signed by the test DS in `pkiDirectory` (default: the
    /// `pki` folder next to the data set). PACE (CAN = last 6 ID digits, or MRZ) and BAC both work.
    public static func make(
        dataSet url: URL, pkiDirectory: URL? = nil, atr: [UInt8] = EMRTDCard.cccdATR,
        behaviour: CardBehaviour = EMRTDCard.cccdBehaviour,
        fault: EMRTDFault? = nil, variant: CCCDVariant = CCCDVariant()
    ) throws -> EMRTDCard.Parts {
        let citizen = try CitizenDataSet.load(url)
        let pki = pkiDirectory ?? url.deletingLastPathComponent().appendingPathComponent("pki")
        var files: [LDSFile: [UInt8]]
        var chipKeys: EMRTDChipKeys?
        if variant.chipAuthentication {
            let keys = try EMRTDChipKeys.generate()
            let published = variant.clone ? try EMRTDChipKeys.generate() : keys
            files = try CCCDFiles.build(
                citizen, signer: DocumentSigner.load(directory: pki), published: published,
                variant: variant)
            chipKeys = keys
        } else {
            files = try build(citizen, pkiDirectory: pki)
            files = try variant.applyMalformed(to: files, signer: DocumentSigner.load(directory: pki))
            if variant.alterDG13AfterSigning, let dg13 = files[.dg(13)] {
                files[.dg(13)] = CCCDVariant.altered(dg13: dg13)
            }
        }
        let seed = try MRZKeySeed(
            documentNumber: String(citizen.idNumber.suffix(9)),
            dateOfBirth: citizen.dateOfBirthYYMMDD, dateOfExpiry: citizen.dateOfExpiryYYMMDD)
        let parts = EMRTDCard.make(
            files: files, cardAccess: EMRTDCard.cccdCardAccess, mrz: seed, can: citizen.can,
            atr: atr, behaviour: behaviour, fault: fault)
        parts.applet.chipKeys = chipKeys
        return parts
    }

    /// The files of a data set's card (EF.SOD freshly signed).
    public static func build(_ citizen: CitizenDataSet, pkiDirectory: URL) throws -> [LDSFile: [UInt8]] {
        let signer = try DocumentSigner.load(directory: pkiDirectory)
        let aaKey = try [UInt8](
            Data(
                contentsOf: pkiDirectory.appendingPathComponent(
                    DocumentSigner.activeAuthenticationKeyFile)))
        return try CCCDFiles.build(citizen, signer: signer, activeAuthenticationKey: aaKey)
    }

    /// An eMRTD from raw LDS files (`LDSDirectory`) and its MRZ (for BAC / PACE-MRZ). Without EF.CardAccess in the
    /// folder the chip is BAC-only.
    public static func make(
        ldsDirectory: URL, mrz: MRZ, can: String? = nil, atr: [UInt8] = ISO7816Card.defaultATR,
        behaviour: CardBehaviour = EMRTDCard.cccdBehaviour,
        fault: EMRTDFault? = nil
    ) throws -> EMRTDCard.Parts {
        var files = try LDSDirectory.load(ldsDirectory)
        let cardAccess = files.removeValue(forKey: .cardAccess)
        let can = can ?? mrz.citizenIDNumber.map { String($0.suffix(6)) }
        return EMRTDCard.make(
            files: files, cardAccess: cardAccess, mrz: mrz.keySeed, can: can, atr: atr,
            behaviour: behaviour, fault: fault)
    }

    /// Reads MRZ text given directly (lines separated by newlines or run together) or as the path of a file.
    public static func mrz(from argument: String) throws -> MRZ {
        var text = argument
        if FileManager.default.fileExists(atPath: argument),
            let contents = try? String(contentsOfFile: argument, encoding: .utf8)
        {
            text = contents
        }
        do {
            return try MRZ(text.trimmingCharacters(in: .whitespacesAndNewlines))
        } catch {
            throw SimulationError("the MRZ does not parse: \(error)")
        }
    }
}

/// A folder of raw LDS files, named as in the reference data sets (`EF_COM.bin`, `Datagroup1.bin`, `EF_SOD.bin`,
/// `EF_CardAccess.bin`) or by file identifier (`ef011E.bin`, `011E`, `011E.bin`).
public enum LDSDirectory {
    /// Loads every recognised file; unknown names are ignored. Throws when DG1 is missing.
    public static func load(_ directory: URL) throws -> [LDSFile: [UInt8]] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        var files: [LDSFile: [UInt8]] = [:]
        for name in names.sorted() {
            guard let file = file(named: name) else { continue }
            files[file] = try [UInt8](Data(contentsOf: directory.appendingPathComponent(name)))
        }
        guard files[.dg(1)] != nil else { throw SimulationError("\(directory.path) has no DG1 (Datagroup1.bin)") }
        return files
    }

    /// The LDS file a name stands for, or nil.
    public static func file(named name: String) -> LDSFile? {
        var base = name.lowercased()
        if base.hasSuffix(".bin") { base.removeLast(4) }
        switch base {
        case "ef_com", "efcom", "com": return .com
        case "ef_sod", "efsod", "sod": return .sod
        case "ef_cardaccess", "efcardaccess", "cardaccess": return .cardAccess
        default: break
        }
        for prefix in ["datagroup", "dg"] where base.hasPrefix(prefix) {
            if let number = Int(base.dropFirst(prefix.count)), (1...16).contains(number) { return .dg(number) }
        }
        if base.hasPrefix("ef") { base.removeFirst(2) }
        guard base.count == 4, let fid = UInt16(base, radix: 16) else { return nil }
        return LDSFile.allCases.first { $0.fileID == fid }
    }
}
