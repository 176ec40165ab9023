import FluentSQLiteDriver
import SignetCore
public enum StorePlaceholder {}
