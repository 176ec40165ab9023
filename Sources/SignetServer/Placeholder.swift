import Vapor
import SignetPKI
import SignetStore
public enum ServerPlaceholder {}
